/**
 * Open311 API keys (接口密钥): which client systems may post requests to /open311/v2/, the key shown
 * once when issued, revocation. `/api/integrations/api-keys` (apikey.manage, admins);
 * docs/channels/open311.md.
 */
import { Alert, App, Button, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { asApiError, request } from '../api.ts';
import { type StaffLang, useStaffLang, useT } from '../i18n.ts';
import { ErrorAlert, fieldErrorsOf, formatDateTime } from '../ui.tsx';

export interface ApiKey {
  id: string;
  name: string;
  system: string;
  keyPrefix: string;
  active: boolean;
  createdBy: { id: string; name: string } | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const BASE = '/api/integrations/api-keys';
const keysApi = {
  list: (signal?: AbortSignal) => request<{ items: ApiKey[]; total: number }>('GET', BASE, { signal }),
  create: (body: { name: string; system: string }) =>
    request<{ apiKey: ApiKey; key: string }>('POST', BASE, { body }),
  revoke: (id: string) => request<{ apiKey: ApiKey }>('POST', `${BASE}/${encodeURIComponent(id)}/revoke`),
};

const TEXT = {
  'zh-CN': {
    tab: '接口密钥',
    intro:
      '其他系统（如 FixMyStreet、12345 热线平台）通过 Open311 接口（/open311/v2/）提交诉求时须携带密钥。密钥签发时只显示一次，系统只保存其摘要；吊销后立即失效。每次接口调用都记入审计日志。',
    add: '签发密钥',
    name: '名称',
    namePh: '如：FixMyStreet 南昌县站点',
    system: '使用方系统',
    systemPh: '如：FixMyStreet（mySociety）',
    prefix: '密钥开头',
    status: '状态',
    active: '有效',
    revoked: '已吊销',
    issued: '签发',
    lastUsed: '最近使用',
    never: '从未使用',
    actions: '操作',
    revoke: '吊销',
    revokeConfirm: '吊销后，使用该密钥的系统将无法再提交诉求。确定吊销？',
    revokedOk: '已吊销',
    keyTitle: '接口密钥（只显示这一次）',
    keyHint: '请立即复制并通过安全渠道交给对方系统的运维人员。关闭后无法再次查看，只能吊销后重新签发。',
    none: '暂无密钥',
    required: '必填',
  },
  'zh-TW': {
    tab: '介面金鑰',
    intro:
      '其他系統（如 FixMyStreet、12345 熱線平台）透過 Open311 介面（/open311/v2/）提交訴求時須攜帶金鑰。金鑰簽發時只顯示一次，系統只保存其摘要；撤銷後立即失效。每次介面呼叫都記入稽核日誌。',
    add: '簽發金鑰',
    name: '名稱',
    namePh: '如：FixMyStreet 南昌縣站點',
    system: '使用方系統',
    systemPh: '如：FixMyStreet（mySociety）',
    prefix: '金鑰開頭',
    status: '狀態',
    active: '有效',
    revoked: '已撤銷',
    issued: '簽發',
    lastUsed: '最近使用',
    never: '從未使用',
    actions: '操作',
    revoke: '撤銷',
    revokeConfirm: '撤銷後，使用該金鑰的系統將無法再提交訴求。確定撤銷？',
    revokedOk: '已撤銷',
    keyTitle: '介面金鑰（只顯示這一次）',
    keyHint: '請立即複製並透過安全管道交給對方系統的維運人員。關閉後無法再次查看，只能撤銷後重新簽發。',
    none: '暫無金鑰',
    required: '必填',
  },
  en: {
    tab: 'API keys',
    intro:
      'Other systems (FixMyStreet, a 12345 hotline platform …) need a key to post requests to the Open311 endpoint (/open311/v2/). A key is shown once when issued; only its hash is kept, and a revoked key stops working at once. Every call is audited.',
    add: 'Issue a key',
    name: 'Name',
    namePh: 'e.g. FixMyStreet county site',
    system: 'Client system',
    systemPh: 'e.g. FixMyStreet (mySociety)',
    prefix: 'Key starts',
    status: 'Status',
    active: 'Active',
    revoked: 'Revoked',
    issued: 'Issued',
    lastUsed: 'Last used',
    never: 'never',
    actions: 'Actions',
    revoke: 'Revoke',
    revokeConfirm: 'The system using this key will no longer be able to post requests. Revoke it?',
    revokedOk: 'Revoked',
    keyTitle: 'API key (shown only this once)',
    keyHint:
      'Copy it now and hand it to the other system’s operators over a safe channel. It cannot be shown again — only revoked and replaced.',
    none: 'No keys yet',
    required: 'Required',
  },
} as const satisfies Record<StaffLang, Record<string, string>>;

type Key = keyof (typeof TEXT)['zh-CN'];

/** This page's words in the chosen language. */
function useText() {
  const lang = useStaffLang();
  return (key: Key) => TEXT[lang][key] as string;
}

/** The tab's label (for the admin page). */
export function ApiKeysTabLabel() {
  return <>{useText()('tab')}</>;
}

export default function ApiKeysPage() {
  const x = useText();
  const t = useT();
  const lang = useStaffLang();
  const { message, modal } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`apikeys|${stamp}`, (signal) => keysApi.list(signal));
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const refresh = () => setStamp((s) => s + 1);

  const revoke = (k: ApiKey) =>
    modal.confirm({
      title: x('revokeConfirm'),
      okButtonProps: { danger: true },
      onOk: async () => {
        setBusy(k.id);
        try {
          await keysApi.revoke(k.id);
          void message.success(x('revokedOk'));
        } catch (err) {
          void message.error(asApiError(err).message);
        } finally {
          setBusy(null);
          refresh();
        }
      },
    });

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={16}>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {x('intro')}
      </Typography.Paragraph>
      <Space>
        <Button type="primary" onClick={() => setAdding(true)}>
          {x('add')}
        </Button>
        <Button onClick={refresh}>{t('common.refresh')}</Button>
      </Space>
      {state.status === 'error' ? (
        <ErrorAlert error={state.error} onRetry={reload} />
      ) : (
        <Table<ApiKey>
          size="small"
          rowKey="id"
          loading={state.status === 'loading'}
          dataSource={state.data?.items ?? []}
          pagination={false}
          locale={{ emptyText: x('none') }}
          scroll={{ x: true }}
          columns={[
            {
              title: x('name'),
              render: (_, k) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{k.name}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {k.system}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: x('prefix'),
              dataIndex: 'keyPrefix',
              render: (p: string) => <Typography.Text code>{p}…</Typography.Text>,
            },
            {
              title: x('status'),
              render: (_, k) =>
                k.active ? (
                  <Tag color="green">{x('active')}</Tag>
                ) : (
                  <Tag>
                    {x('revoked')} {formatDateTime(k.revokedAt, lang)}
                  </Tag>
                ),
            },
            {
              title: x('issued'),
              render: (_, k) => (
                <Space orientation="vertical" size={0}>
                  <span>{formatDateTime(k.createdAt, lang)}</span>
                  {k.createdBy && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {k.createdBy.name}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: x('lastUsed'),
              dataIndex: 'lastUsedAt',
              render: (v: string | null) => (v ? formatDateTime(v, lang) : x('never')),
            },
            {
              title: x('actions'),
              render: (_, k) =>
                k.active ? (
                  <Button size="small" danger loading={busy === k.id} onClick={() => revoke(k)}>
                    {x('revoke')}
                  </Button>
                ) : null,
            },
          ]}
        />
      )}
      {adding && (
        <IssueModal
          onClose={() => setAdding(false)}
          onIssued={(key) => {
            setAdding(false);
            setShown(key);
            refresh();
          }}
        />
      )}
      <Modal
        open={shown !== null}
        title={x('keyTitle')}
        onOk={() => setShown(null)}
        onCancel={() => setShown(null)}
        cancelButtonProps={{ style: { display: 'none' } }}
        mask={{ closable: false }}
      >
        <Alert type="warning" showIcon title={x('keyHint')} style={{ marginBottom: 12 }} />
        <Typography.Paragraph copyable code style={{ wordBreak: 'break-all' }}>
          {shown}
        </Typography.Paragraph>
      </Modal>
    </Space>
  );
}

function IssueModal({ onClose, onIssued }: { onClose: () => void; onIssued: (key: string) => void }) {
  const x = useText();
  const t = useT();
  const [form] = Form.useForm<{ name: string; system: string }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ReturnType<typeof asApiError> | null>(null);

  const submit = async () => {
    const values = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      const r = await keysApi.create({ name: values.name.trim(), system: values.system.trim() });
      onIssued(r.key);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as 'name' | 'system', errors: f.errors })));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={x('add')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={saving}
      okText={t('common.save')}
    >
      {error && <ErrorAlert error={error} compact />}
      <Form form={form} layout="vertical" style={{ marginTop: 12 }}>
        <Form.Item
          name="name"
          label={x('name')}
          rules={[{ required: true, whitespace: true, max: 100, message: x('required') }]}
        >
          <Input placeholder={x('namePh')} maxLength={100} />
        </Form.Item>
        <Form.Item
          name="system"
          label={x('system')}
          rules={[{ required: true, whitespace: true, max: 100, message: x('required') }]}
        >
          <Input placeholder={x('systemPh')} maxLength={100} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
