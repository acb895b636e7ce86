/**
 * The data-sharing catalogue (数据共享目录): which external systems — traffic police, urban
 * management, grid data, the 12345 hotline, sensors — send or receive which data, over which channel
 * and on which legal basis; next to it, what is actually configured (webhooks, Open311 keys, IoT
 * devices). `/api/integrations/catalogue` (catalogue.read; edits catalogue.manage, admins).
 */
import {
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  Modal,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { type ReactNode, useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, request } from '../api.ts';
import { type StaffLang, useStaffLang, useT } from '../i18n.ts';
import { ErrorAlert, fieldErrorsOf, formatDateTime } from '../ui.tsx';

const DIRECTIONS = ['in', 'out', 'both'] as const;
const CHANNELS = ['open311', 'iot', 'camera', 'webhook', 'file_import', 'other'] as const;

interface Exchange {
  id: string;
  system: string;
  direction: string;
  dataItems: string[];
  channel: string;
  legalBasis: string;
  contact: string;
  note: string;
  active: boolean;
  version: number;
  updatedBy: { id: string; name: string } | null;
  updatedAt: string;
}

interface Live {
  webhooks: { id: string; name: string; system: string; host: string; events: string[]; active: boolean }[];
  open311: {
    available: boolean;
    note: string | null;
    keys: { name: string; system: string | null; active: boolean }[];
  };
  iot: {
    available: boolean;
    note: string | null;
    devices: { type: string; total: number; active: number }[];
  };
}

interface ExchangeForm {
  system: string;
  direction: string;
  dataItems: string[];
  channel: string;
  legalBasis: string;
  contact: string;
  note: string;
  active: boolean;
}

const ENDPOINT = '/api/integrations/catalogue';
const catalogueApi = {
  get: (signal?: AbortSignal) => request<{ items: Exchange[]; live: Live }>('GET', ENDPOINT, { signal }),
  create: (body: ExchangeForm) => request<{ exchange: Exchange }>('POST', ENDPOINT, { body }),
  update: (id: string, body: Partial<ExchangeForm> & { version: number }) =>
    request<{ exchange: Exchange }>('PATCH', `${ENDPOINT}/${encodeURIComponent(id)}`, { body }),
};

const TEXT = {
  'zh-CN': {
    tab: '数据共享目录',
    intro:
      '登记与本平台交换数据的外部系统：交换方向、数据项、渠道、法律依据或协议、联系人；并列出实际配置的对接渠道（事件推送、Open311 密钥、物联网设备）。',
    add: '新增登记',
    system: '外部系统',
    direction: '方向',
    in: '接入',
    out: '推送',
    both: '双向',
    dataItems: '数据项',
    dataItemsHint: '逐项输入，回车确认',
    channel: '渠道',
    open311: 'Open311 接口',
    iot: '物联网',
    camera: '视频监控',
    webhook: '事件推送',
    file_import: '文件导入',
    other: '其他',
    legalBasis: '依据 / 协议',
    contact: '联系人（科室、电话）',
    note: '备注',
    active: '在用',
    updated: '更新',
    live: '实际对接情况',
    webhooks: '事件推送订阅',
    open311Keys: 'Open311 接口密钥',
    iotDevices: '物联网设备',
    none: '无',
    total: '共 {n} 台，在用 {m} 台',
    on: '在用',
    off: '停用',
  },
  'zh-TW': {
    tab: '資料共享目錄',
    intro:
      '登記與本平台交換資料的外部系統：交換方向、資料項、渠道、法律依據或協議、聯絡人；並列出實際設定的對接渠道（事件推送、Open311 金鑰、物聯網設備）。',
    add: '新增登記',
    system: '外部系統',
    direction: '方向',
    in: '接入',
    out: '推送',
    both: '雙向',
    dataItems: '資料項',
    dataItemsHint: '逐項輸入，按 Enter 確認',
    channel: '渠道',
    open311: 'Open311 介面',
    iot: '物聯網',
    camera: '視訊監控',
    webhook: '事件推送',
    file_import: '檔案匯入',
    other: '其他',
    legalBasis: '依據 / 協議',
    contact: '聯絡人（科室、電話）',
    note: '備註',
    active: '在用',
    updated: '更新',
    live: '實際對接情況',
    webhooks: '事件推送訂閱',
    open311Keys: 'Open311 介面金鑰',
    iotDevices: '物聯網設備',
    none: '無',
    total: '共 {n} 台，在用 {m} 台',
    on: '在用',
    off: '停用',
  },
  en: {
    tab: 'Data sharing',
    intro:
      'External systems that exchange data with this platform: direction, data items, channel, legal basis or agreement, contact — and the channels actually configured (webhooks, Open311 keys, IoT devices).',
    add: 'Register',
    system: 'External system',
    direction: 'Direction',
    in: 'in',
    out: 'out',
    both: 'both ways',
    dataItems: 'Data items',
    dataItemsHint: 'One item at a time, Enter to add',
    channel: 'Channel',
    open311: 'Open311',
    iot: 'IoT',
    camera: 'Cameras',
    webhook: 'Webhook',
    file_import: 'File import',
    other: 'Other',
    legalBasis: 'Legal basis / agreement',
    contact: 'Contact (office, phone)',
    note: 'Note',
    active: 'Active',
    updated: 'Updated',
    live: 'Configured channels',
    webhooks: 'Webhook subscriptions',
    open311Keys: 'Open311 API keys',
    iotDevices: 'IoT devices',
    none: 'None',
    total: '{n} in total, {m} active',
    on: 'active',
    off: 'inactive',
  },
} as const satisfies Record<StaffLang, Record<string, string>>;

type Key = keyof (typeof TEXT)['zh-CN'];

function useText() {
  const lang = useStaffLang();
  return (key: Key, vars: Record<string, string | number> = {}) =>
    (TEXT[lang][key] as string).replace(/\{(\w+)\}/g, (m, n: string) => (n in vars ? String(vars[n]) : m));
}

/** The tab's label (for the admin page). */
export function CatalogueTabLabel() {
  return <>{useText()('tab')}</>;
}

const DIRECTION_COLOR: Record<string, string> = { in: 'blue', out: 'purple', both: 'cyan' };

export default function CataloguePage({ canManage = true }: { canManage?: boolean }) {
  const x = useText();
  const t = useT();
  const lang = useStaffLang();
  const { message } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`catalogue|${stamp}`, (signal) => catalogueApi.get(signal));
  const [editing, setEditing] = useState<Exchange | 'new' | null>(null);

  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} />;
  const live = state.data?.live;

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xxl={17}>
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {x('intro')}
          </Typography.Paragraph>
          {canManage && (
            <Button type="primary" onClick={() => setEditing('new')}>
              {x('add')}
            </Button>
          )}
          <Table<Exchange>
            size="small"
            rowKey="id"
            loading={state.status === 'loading'}
            dataSource={state.data?.items ?? []}
            pagination={false}
            scroll={{ x: true }}
            rowClassName={(r) => (r.active ? '' : 'row-inactive')}
            columns={[
              {
                title: x('system'),
                dataIndex: 'system',
                width: 240,
                render: (s: string, r) => (
                  <Space orientation="vertical" size={0}>
                    <Typography.Text strong delete={!r.active}>
                      {s}
                    </Typography.Text>
                    {r.note && (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {r.note}
                      </Typography.Text>
                    )}
                  </Space>
                ),
              },
              {
                title: x('direction'),
                dataIndex: 'direction',
                width: 80,
                render: (d: string) => <Tag color={DIRECTION_COLOR[d]}>{x(d as Key)}</Tag>,
              },
              {
                title: x('channel'),
                dataIndex: 'channel',
                width: 110,
                render: (c: string) => <Tag>{x(c as Key)}</Tag>,
              },
              {
                title: x('dataItems'),
                dataIndex: 'dataItems',
                render: (items: string[]) => (
                  <Space size={[4, 4]} wrap>
                    {items.map((i) => (
                      <Tag key={i} bordered={false}>
                        {i}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              {
                title: x('legalBasis'),
                dataIndex: 'legalBasis',
                width: 240,
                render: (v: string, r) => (
                  <Space orientation="vertical" size={0}>
                    <span>{v || '—'}</span>
                    {r.contact && (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {r.contact}
                      </Typography.Text>
                    )}
                  </Space>
                ),
              },
              {
                title: x('updated'),
                dataIndex: 'updatedAt',
                width: 150,
                render: (v: string, r) => (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {formatDateTime(v, lang)}
                    {r.updatedBy ? ` · ${r.updatedBy.name}` : ''}
                  </Typography.Text>
                ),
              },
              ...(canManage
                ? [
                    {
                      title: '',
                      key: 'edit',
                      render: (_: unknown, r: Exchange) => (
                        <Button size="small" onClick={() => setEditing(r)}>
                          {t('common.edit')}
                        </Button>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        </Space>
      </Col>
      <Col xs={24} xxl={7}>
        <Card size="small" title={x('live')} loading={state.status === 'loading'}>
          {live && <LiveView live={live} />}
        </Card>
      </Col>
      {editing && (
        <ExchangeModal
          exchange={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void message.success(t('common.saved'));
            setStamp((s) => s + 1);
          }}
        />
      )}
    </Row>
  );
}

function LiveView({ live }: { live: Live }) {
  const x = useText();
  const section = (title: string, body: ReactNode) => (
    <div style={{ marginBottom: 16 }}>
      <Typography.Text strong>{title}</Typography.Text>
      <div style={{ marginTop: 6 }}>{body}</div>
    </div>
  );
  const onOff = (a: boolean) => <Tag color={a ? 'green' : 'default'}>{a ? x('on') : x('off')}</Tag>;
  return (
    <>
      {section(
        x('webhooks'),
        live.webhooks.length ? (
          live.webhooks.map((w) => (
            <div key={w.id} style={{ marginBottom: 6 }}>
              {onOff(w.active)} {w.system} · {w.name}{' '}
              <Typography.Text type="secondary" code>
                {w.host}
              </Typography.Text>
            </div>
          ))
        ) : (
          <Typography.Text type="secondary">{x('none')}</Typography.Text>
        ),
      )}
      {section(
        x('open311Keys'),
        !live.open311.available ? (
          <Typography.Text type="secondary">{live.open311.note}</Typography.Text>
        ) : live.open311.keys.length ? (
          live.open311.keys.map((k) => (
            <div key={`${k.name}|${k.system}`} style={{ marginBottom: 6 }}>
              {onOff(k.active)} {k.system ?? '—'} · {k.name}
            </div>
          ))
        ) : (
          <Typography.Text type="secondary">{x('none')}</Typography.Text>
        ),
      )}
      {section(
        x('iotDevices'),
        !live.iot.available ? (
          <Typography.Text type="secondary">{live.iot.note}</Typography.Text>
        ) : live.iot.devices.length ? (
          live.iot.devices.map((d) => (
            <div key={d.type} style={{ marginBottom: 6 }}>
              <Tag>{d.type}</Tag> {x('total', { n: d.total, m: d.active })}
            </div>
          ))
        ) : (
          <Typography.Text type="secondary">{x('none')}</Typography.Text>
        ),
      )}
    </>
  );
}

function ExchangeModal({
  exchange,
  onClose,
  onSaved,
}: {
  exchange: Exchange | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const x = useText();
  const t = useT();
  const [form] = Form.useForm<ExchangeForm>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const save = async (v: ExchangeForm) => {
    setBusy(true);
    setError(null);
    try {
      if (exchange) await catalogueApi.update(exchange.id, { ...v, version: exchange.version });
      else await catalogueApi.create(v);
      onSaved();
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as keyof ExchangeForm, errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={exchange ? exchange.system : x('add')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form<ExchangeForm>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={
          exchange ?? {
            direction: 'in',
            channel: 'other',
            dataItems: [],
            legalBasis: '',
            contact: '',
            note: '',
            active: true,
          }
        }
      >
        <Form.Item name="system" label={x('system')} rules={[{ required: true, max: 60 }]}>
          <Input placeholder="县公安局交通警察大队（交警）" />
        </Form.Item>
        <Space size={16} wrap>
          <Form.Item name="direction" label={x('direction')} rules={[{ required: true }]}>
            <Select style={{ width: 140 }} options={DIRECTIONS.map((d) => ({ value: d, label: x(d) }))} />
          </Form.Item>
          <Form.Item name="channel" label={x('channel')} rules={[{ required: true }]}>
            <Select style={{ width: 160 }} options={CHANNELS.map((c) => ({ value: c, label: x(c) }))} />
          </Form.Item>
          <Form.Item name="active" label={x('active')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
        <Form.Item
          name="dataItems"
          label={x('dataItems')}
          extra={x('dataItemsHint')}
          rules={[{ required: true, type: 'array', min: 1 }]}
        >
          <Select mode="tags" open={false} tokenSeparators={['，', ',', '、']} />
        </Form.Item>
        <Form.Item name="legalBasis" label={x('legalBasis')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="contact" label={x('contact')} rules={[{ max: 100 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="note" label={x('note')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
        {error && <ErrorAlert error={error} compact />}
      </Form>
    </Modal>
  );
}
