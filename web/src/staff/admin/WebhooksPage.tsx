/**
 * Outbound webhooks (事件推送): which systems are told about created, dispatched, replied and closed
 * cases, a test ping, the signing secret shown once, and the delivery log with redelivery.
 * `/api/integrations/webhooks` (webhook.manage, admins); docs/channels/webhooks.md.
 */
import {
  Alert,
  App,
  Button,
  Checkbox,
  Form,
  Input,
  Modal,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, qs, request } from '../api.ts';
import { type StaffLang, useStaffLang, useT } from '../i18n.ts';
import { ErrorAlert, fieldErrorsOf, formatDateTime } from '../ui.tsx';

export const WEBHOOK_EVENTS = ['case.created', 'case.dispatched', 'case.replied', 'case.closed'] as const;
const STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;

export interface Webhook {
  id: string;
  name: string;
  system: string;
  url: string;
  events: string[];
  active: boolean;
  version: number;
  createdBy: { id: string; name: string } | null;
  createdAt: string;
  updatedAt: string;
  stats: { pending: number; delivered: number; failed: number; lastDeliveredAt: string | null };
}

interface Delivery {
  id: string;
  webhookId: string;
  webhookName: string;
  event: string;
  eventId: number | null;
  caseId: string | null;
  caseCode: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  payload: Record<string, unknown>;
}

interface WebhookForm {
  name: string;
  system: string;
  url: string;
  events: string[];
}

const BASE = '/api/integrations/webhooks';
const webhooksApi = {
  list: (signal?: AbortSignal) => request<{ items: Webhook[] }>('GET', BASE, { signal }),
  create: (body: WebhookForm) => request<{ webhook: Webhook; secret: string }>('POST', BASE, { body }),
  update: (
    id: string,
    body: Partial<WebhookForm> & { active?: boolean; rotateSecret?: boolean; version: number },
  ) => request<{ webhook: Webhook; secret?: string }>('PATCH', `${BASE}/${encodeURIComponent(id)}`, { body }),
  ping: (id: string) => request<{ delivery: Delivery }>('POST', `${BASE}/${encodeURIComponent(id)}/ping`),
  deliveries: (f: Record<string, string | number | undefined>, signal?: AbortSignal) =>
    request<{ items: Delivery[]; total: number }>('GET', `${BASE}/deliveries${qs(f)}`, { signal }),
  redeliver: (id: string) =>
    request<{ delivery: Delivery }>('POST', `${BASE}/deliveries/${encodeURIComponent(id)}/redeliver`),
};

const TEXT = {
  'zh-CN': {
    tab: '事件推送',
    intro:
      '向其他系统（城管、12345 热线等）推送工单的受理、派单、答复、办结事件。每次推送都带签名，失败后按退避重试，可在下方查看推送记录。推送内容不含群众姓名、电话等个人信息。',
    add: '新增订阅',
    name: '名称',
    system: '接收系统',
    url: '接收地址',
    urlHint: '仅限 http / https；地址中不能含用户名或密码',
    events: '推送事件',
    active: '状态',
    on: '启用',
    off: '停用',
    stats: '推送统计',
    actions: '操作',
    ping: '测试推送',
    rotate: '更换密钥',
    activate: '启用',
    deactivate: '停用',
    deactivateConfirm: '停用后，尚未送达的推送将被取消。确定停用？',
    rotateConfirm: '更换后旧密钥立即失效，接收系统需同步更新。确定更换？',
    secretTitle: '签名密钥（只显示这一次）',
    secretHint: '请立即复制并配置到接收系统，用于校验 X-Gongzhi-Signature。关闭后无法再次查看，只能更换。',
    pingOk: '测试推送成功（HTTP {status}）',
    pingFail: '测试推送失败：{error}',
    log: '推送记录',
    allWebhooks: '全部订阅',
    allStatuses: '全部状态',
    allEvents: '全部事件',
    caseCode: '受理编号',
    time: '时间',
    event: '事件',
    status: '状态',
    attempts: '次数',
    result: '最近结果',
    next: '下次尝试',
    redeliver: '重新推送',
    redelivered: '已重新推送',
    payload: '推送内容',
    none: '暂无订阅',
    pending: '待推送',
    delivered: '已送达',
    failed: '失败',
    cancelled: '已取消',
    'case.created': '受理',
    'case.dispatched': '派单',
    'case.replied': '答复',
    'case.closed': '办结',
    ping_event: '测试',
  },
  'zh-TW': {
    tab: '事件推送',
    intro:
      '向其他系統（城管、12345 熱線等）推送工單的受理、派單、答覆、辦結事件。每次推送都帶簽名，失敗後按退避重試，可在下方查看推送紀錄。推送內容不含群眾姓名、電話等個人資訊。',
    add: '新增訂閱',
    name: '名稱',
    system: '接收系統',
    url: '接收位址',
    urlHint: '僅限 http / https；位址中不能含使用者名稱或密碼',
    events: '推送事件',
    active: '狀態',
    on: '啟用',
    off: '停用',
    stats: '推送統計',
    actions: '操作',
    ping: '測試推送',
    rotate: '更換金鑰',
    activate: '啟用',
    deactivate: '停用',
    deactivateConfirm: '停用後，尚未送達的推送將被取消。確定停用？',
    rotateConfirm: '更換後舊金鑰立即失效，接收系統需同步更新。確定更換？',
    secretTitle: '簽名金鑰（只顯示這一次）',
    secretHint: '請立即複製並設定到接收系統，用於校驗 X-Gongzhi-Signature。關閉後無法再次查看，只能更換。',
    pingOk: '測試推送成功（HTTP {status}）',
    pingFail: '測試推送失敗：{error}',
    log: '推送紀錄',
    allWebhooks: '全部訂閱',
    allStatuses: '全部狀態',
    allEvents: '全部事件',
    caseCode: '受理編號',
    time: '時間',
    event: '事件',
    status: '狀態',
    attempts: '次數',
    result: '最近結果',
    next: '下次嘗試',
    redeliver: '重新推送',
    redelivered: '已重新推送',
    payload: '推送內容',
    none: '暫無訂閱',
    pending: '待推送',
    delivered: '已送達',
    failed: '失敗',
    cancelled: '已取消',
    'case.created': '受理',
    'case.dispatched': '派單',
    'case.replied': '答覆',
    'case.closed': '辦結',
    ping_event: '測試',
  },
  en: {
    tab: 'Webhooks',
    intro:
      'Tell other systems (urban management, the 12345 hotline, …) when cases are created, dispatched, replied to and closed. Every delivery is signed and retried with back-off; the log is below. No personal data is sent.',
    add: 'Add subscription',
    name: 'Name',
    system: 'Receiving system',
    url: 'URL',
    urlHint: 'http or https only; no user name or password in the URL',
    events: 'Events',
    active: 'Status',
    on: 'Active',
    off: 'Inactive',
    stats: 'Deliveries',
    actions: 'Actions',
    ping: 'Test ping',
    rotate: 'New secret',
    activate: 'Activate',
    deactivate: 'Deactivate',
    deactivateConfirm: 'Pending deliveries will be cancelled. Deactivate?',
    rotateConfirm: 'The old secret stops working at once; the receiver must be updated. Continue?',
    secretTitle: 'Signing secret (shown only this once)',
    secretHint:
      'Copy it into the receiving system now; it checks X-Gongzhi-Signature with it. It cannot be shown again, only replaced.',
    pingOk: 'Ping delivered (HTTP {status})',
    pingFail: 'Ping failed: {error}',
    log: 'Delivery log',
    allWebhooks: 'All subscriptions',
    allStatuses: 'All statuses',
    allEvents: 'All events',
    caseCode: 'Case code',
    time: 'Time',
    event: 'Event',
    status: 'Status',
    attempts: 'Attempts',
    result: 'Last result',
    next: 'Next attempt',
    redeliver: 'Redeliver',
    redelivered: 'Sent again',
    payload: 'Payload',
    none: 'No subscriptions yet',
    pending: 'Pending',
    delivered: 'Delivered',
    failed: 'Failed',
    cancelled: 'Cancelled',
    'case.created': 'created',
    'case.dispatched': 'dispatched',
    'case.replied': 'replied',
    'case.closed': 'closed',
    ping_event: 'ping',
  },
} as const satisfies Record<StaffLang, Record<string, string>>;

type Key = keyof (typeof TEXT)['zh-CN'];

/** This page's words in the chosen language. */
function useText() {
  const lang = useStaffLang();
  return (key: Key, vars: Record<string, string | number> = {}) =>
    (TEXT[lang][key] as string).replace(/\{(\w+)\}/g, (m, n: string) => (n in vars ? String(vars[n]) : m));
}

/** The tab's label (for the admin page). */
export function WebhooksTabLabel() {
  return <>{useText()('tab')}</>;
}

const STATUS_COLOR: Record<string, string> = {
  pending: 'gold',
  delivered: 'green',
  failed: 'red',
  cancelled: 'default',
};

export default function WebhooksPage() {
  const x = useText();
  const t = useT();
  const lang = useStaffLang();
  const { message, modal } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`webhooks|${stamp}`, (signal) => webhooksApi.list(signal));
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const refresh = () => setStamp((s) => s + 1);

  const run = async (id: string, fn: () => Promise<void>) => {
    setBusy(id);
    try {
      await fn();
    } catch (err) {
      void message.error(asApiError(err).message);
    } finally {
      setBusy(null);
      refresh();
    }
  };

  const ping = (w: Webhook) =>
    run(w.id, async () => {
      const { delivery } = await webhooksApi.ping(w.id);
      if (delivery.status === 'delivered')
        void message.success(x('pingOk', { status: delivery.lastStatus ?? '' }));
      else void message.error(x('pingFail', { error: delivery.lastError ?? String(delivery.lastStatus) }));
    });

  const toggle = (w: Webhook) => {
    const go = () =>
      run(w.id, async () => {
        await webhooksApi.update(w.id, { active: !w.active, version: w.version });
      });
    if (w.active) modal.confirm({ title: x('deactivateConfirm'), onOk: go });
    else void go();
  };

  const rotate = (w: Webhook) =>
    modal.confirm({
      title: x('rotateConfirm'),
      onOk: () =>
        run(w.id, async () => {
          const r = await webhooksApi.update(w.id, { rotateSecret: true, version: w.version });
          if (r.secret) setSecret(r.secret);
        }),
    });

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={16}>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {x('intro')}
      </Typography.Paragraph>
      <Space>
        <Button type="primary" onClick={() => setEditing('new')}>
          {x('add')}
        </Button>
        <Button onClick={refresh}>{t('common.refresh')}</Button>
      </Space>
      {state.status === 'error' ? (
        <ErrorAlert error={state.error} onRetry={reload} />
      ) : (
        <Table<Webhook>
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
              render: (_, w) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{w.name}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {w.system}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: x('url'),
              dataIndex: 'url',
              render: (u: string) => (
                <Typography.Text code style={{ wordBreak: 'break-all' }}>
                  {u}
                </Typography.Text>
              ),
            },
            {
              title: x('events'),
              dataIndex: 'events',
              render: (ev: string[]) => ev.map((e) => <Tag key={e}>{x(e as Key)}</Tag>),
            },
            {
              title: x('active'),
              dataIndex: 'active',
              render: (a: boolean) => <Tag color={a ? 'green' : 'default'}>{a ? x('on') : x('off')}</Tag>,
            },
            {
              title: x('stats'),
              render: (_, w) => (
                <Space size={4} wrap>
                  <Tag color="green">
                    {x('delivered')} {w.stats.delivered}
                  </Tag>
                  {w.stats.pending > 0 && (
                    <Tag color="gold">
                      {x('pending')} {w.stats.pending}
                    </Tag>
                  )}
                  {w.stats.failed > 0 && (
                    <Tag color="red">
                      {x('failed')} {w.stats.failed}
                    </Tag>
                  )}
                </Space>
              ),
            },
            {
              title: x('actions'),
              render: (_, w) => (
                <Space size={4} wrap>
                  <Button size="small" onClick={() => setEditing(w)} disabled={busy === w.id}>
                    {t('common.edit')}
                  </Button>
                  <Button size="small" onClick={() => void ping(w)} loading={busy === w.id}>
                    {x('ping')}
                  </Button>
                  <Button size="small" onClick={() => rotate(w)} disabled={busy === w.id}>
                    {x('rotate')}
                  </Button>
                  <Button size="small" danger={w.active} onClick={() => toggle(w)} disabled={busy === w.id}>
                    {w.active ? x('deactivate') : x('activate')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      )}
      <DeliveryLog webhooks={state.data?.items ?? []} stamp={stamp} lang={lang} onChange={refresh} />
      {editing && (
        <WebhookModal
          webhook={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(s) => {
            setEditing(null);
            if (s) setSecret(s);
            void message.success(t('common.saved'));
            refresh();
          }}
        />
      )}
      <Modal
        open={secret !== null}
        title={x('secretTitle')}
        onOk={() => setSecret(null)}
        onCancel={() => setSecret(null)}
        cancelButtonProps={{ style: { display: 'none' } }}
      >
        <Alert type="warning" showIcon title={x('secretHint')} style={{ marginBottom: 12 }} />
        <Typography.Paragraph copyable code style={{ wordBreak: 'break-all' }}>
          {secret}
        </Typography.Paragraph>
      </Modal>
    </Space>
  );
}

function WebhookModal({
  webhook,
  onClose,
  onSaved,
}: {
  webhook: Webhook | null;
  onClose: () => void;
  onSaved: (secret: string | undefined) => void;
}) {
  const x = useText();
  const t = useT();
  const [form] = Form.useForm<WebhookForm>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const save = async (v: WebhookForm) => {
    setBusy(true);
    setError(null);
    try {
      const r = webhook
        ? await webhooksApi.update(webhook.id, { ...v, version: webhook.version })
        : await webhooksApi.create(v);
      onSaved(r.secret);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as keyof WebhookForm, errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={webhook ? webhook.name : x('add')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form<WebhookForm>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={
          webhook
            ? { name: webhook.name, system: webhook.system, url: webhook.url, events: webhook.events }
            : { events: ['case.created', 'case.closed'] }
        }
      >
        <Form.Item name="name" label={x('name')} rules={[{ required: true, max: 50 }]}>
          <Input placeholder="城管案件推送" />
        </Form.Item>
        <Form.Item name="system" label={x('system')} rules={[{ required: true, max: 50 }]}>
          <Input placeholder="县城市管理局（城管）" />
        </Form.Item>
        <Form.Item
          name="url"
          label={x('url')}
          extra={x('urlHint')}
          rules={[{ required: true, max: 500, pattern: /^https?:\/\//i }]}
        >
          <Input placeholder="https://cg.example.gov.cn/gongzhi/hook" />
        </Form.Item>
        <Form.Item name="events" label={x('events')} rules={[{ required: true, type: 'array', min: 1 }]}>
          <Checkbox.Group options={WEBHOOK_EVENTS.map((e) => ({ value: e, label: `${x(e)} · ${e}` }))} />
        </Form.Item>
        {error && <ErrorAlert error={error} compact />}
      </Form>
    </Modal>
  );
}

function DeliveryLog({
  webhooks,
  stamp,
  lang,
  onChange,
}: {
  webhooks: Webhook[];
  stamp: number;
  lang: StaffLang;
  onChange: () => void;
}) {
  const x = useText();
  const { message } = App.useApp();
  const [filter, setFilter] = useState<{
    webhookId?: string;
    status?: string;
    event?: string;
    caseCode?: string;
  }>({});
  const [page, setPage] = useState(1);
  const pageSize = 20;
  const key = `deliveries|${stamp}|${JSON.stringify(filter)}|${page}`;
  const { state, reload } = useAsync(key, (signal) =>
    webhooksApi.deliveries({ ...filter, limit: pageSize, offset: (page - 1) * pageSize }, signal),
  );
  const [busy, setBusy] = useState<string | null>(null);

  const redeliver = async (d: Delivery) => {
    setBusy(d.id);
    try {
      const r = await webhooksApi.redeliver(d.id);
      void message.success(`${x('redelivered')}：${x(r.delivery.status as Key)}`);
    } catch (err) {
      void message.error(asApiError(err).message);
    } finally {
      setBusy(null);
      onChange();
    }
  };
  const set = (patch: Partial<typeof filter>) => {
    setFilter((f) => ({ ...f, ...patch }));
    setPage(1);
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={5} style={{ margin: 0 }}>
        {x('log')}
      </Typography.Title>
      <Space wrap>
        <Select
          allowClear
          placeholder={x('allWebhooks')}
          style={{ minWidth: 180 }}
          value={filter.webhookId}
          onChange={(v) => set({ webhookId: v })}
          options={webhooks.map((w) => ({ value: w.id, label: w.name }))}
        />
        <Select
          allowClear
          placeholder={x('allStatuses')}
          style={{ minWidth: 120 }}
          value={filter.status}
          onChange={(v) => set({ status: v })}
          options={STATUSES.map((s) => ({ value: s, label: x(s) }))}
        />
        <Select
          allowClear
          placeholder={x('allEvents')}
          style={{ minWidth: 120 }}
          value={filter.event}
          onChange={(v) => set({ event: v })}
          options={[...WEBHOOK_EVENTS, 'ping'].map((e) => ({
            value: e,
            label: e === 'ping' ? x('ping_event') : x(e as Key),
          }))}
        />
        <Input.Search
          allowClear
          placeholder={x('caseCode')}
          style={{ width: 180 }}
          onSearch={(v) => set({ caseCode: v.trim().toUpperCase() || undefined })}
        />
      </Space>
      {state.status === 'error' ? (
        <ErrorAlert error={state.error} onRetry={reload} />
      ) : (
        <Table<Delivery>
          size="small"
          rowKey="id"
          loading={state.status === 'loading'}
          dataSource={state.data?.items ?? []}
          scroll={{ x: true }}
          pagination={{
            current: page,
            pageSize,
            total: state.data?.total ?? 0,
            onChange: setPage,
            showSizeChanger: false,
          }}
          expandable={{
            expandedRowRender: (d) => (
              <pre style={{ margin: 0, fontSize: 12, whiteSpace: 'pre-wrap' }}>
                {JSON.stringify(d.payload, null, 2)}
              </pre>
            ),
          }}
          columns={[
            { title: x('time'), dataIndex: 'createdAt', render: (v: string) => formatDateTime(v, lang) },
            { title: x('name'), dataIndex: 'webhookName' },
            {
              title: x('event'),
              dataIndex: 'event',
              render: (e: string) => <Tag>{e === 'ping' ? x('ping_event') : x(e as Key)}</Tag>,
            },
            { title: x('caseCode'), dataIndex: 'caseCode', render: (c: string | null) => c ?? '—' },
            {
              title: x('status'),
              dataIndex: 'status',
              render: (s: string) => <Tag color={STATUS_COLOR[s]}>{x(s as Key)}</Tag>,
            },
            { title: x('attempts'), dataIndex: 'attempts' },
            {
              title: x('result'),
              render: (_, d) =>
                d.lastError ? (
                  <Typography.Text type="danger" style={{ fontSize: 12 }}>
                    {d.lastError}
                  </Typography.Text>
                ) : d.lastStatus ? (
                  `HTTP ${d.lastStatus}`
                ) : (
                  '—'
                ),
            },
            {
              title: x('next'),
              dataIndex: 'nextAttemptAt',
              render: (v: string | null, d) => (d.status === 'pending' && v ? formatDateTime(v, lang) : '—'),
            },
            {
              title: x('actions'),
              render: (_, d) => (
                <Button size="small" loading={busy === d.id} onClick={() => void redeliver(d)}>
                  {x('redeliver')}
                </Button>
              ),
            },
          ]}
        />
      )}
    </Space>
  );
}
