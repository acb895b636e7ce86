/**
 * IoT devices and cameras (物联网设备): the registry with connectivity, registering a device (its
 * secret shown once), deactivating, rotating a secret, a device's alarms, and the alarm rules.
 * `/api/devices` (device.read; changes device.manage, admins). docs/channels/iot.md.
 */
import {
  Alert,
  App,
  Button,
  Drawer,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, qs, request } from '../api.ts';
import { type StaffLang, useStaffLang, useT } from '../i18n.ts';
import { OrgPicker } from '../OrgPicker.tsx';
import { ErrorAlert, fieldErrorsOf, formatDateTime } from '../ui.tsx';

const TYPES = [
  'smart_toilet',
  'environment_sensor',
  'gas_sensor',
  'smoke_sensor',
  'water_level',
  'manhole_cover',
  'camera',
] as const;

interface Device {
  id: string;
  code: string;
  type: string;
  typeLabel: string;
  name: string;
  lon: number;
  lat: number;
  gridId: string | null;
  villageName: string | null;
  ownerOrg: { id: string; name: string };
  heartbeatIntervalS: number;
  lastSeenAt: string | null;
  connectivity: 'online' | 'offline' | 'unknown' | 'inactive';
  status: 'active' | 'inactive';
  version: number;
}

interface Alarm {
  id: string;
  kind: string;
  alarmType: string;
  level: number | null;
  value: string | null;
  via: string;
  outcome: string;
  note: string | null;
  receivedAt: string;
  caseId: string | null;
  caseCode: string | null;
}

interface Rule {
  id: string;
  deviceType: string;
  alarmType: string;
  label: string;
  minLevel: number;
  categoryId: string;
  categoryName: string;
  urgency: string;
  recoveryCloses: boolean;
  active: boolean;
  version: number;
}

interface NewDevice {
  code: string;
  type: string;
  name: string;
  lon: number;
  lat: number;
  ownerOrgId: string;
  heartbeatIntervalS: number;
}

const api = {
  list: (f: Record<string, string | undefined>, signal: AbortSignal) =>
    request<{ items: Device[]; total: number }>('GET', `/api/devices${qs({ ...f, limit: 200 })}`, { signal }),
  create: (body: NewDevice) => request<{ device: Device; secret: string }>('POST', '/api/devices', { body }),
  patch: (d: Device, body: Partial<Device>) =>
    request<{ device: Device }>('PATCH', `/api/devices/${encodeURIComponent(d.id)}`, {
      body: { ...body, version: d.version },
    }),
  rotate: (d: Device) =>
    request<{ secret: string; previousValidUntil: string | null }>(
      'POST',
      `/api/devices/${encodeURIComponent(d.id)}/rotate-secret`,
      { body: { keepPreviousMinutes: 60 } },
    ),
  alarms: (id: string, signal: AbortSignal) =>
    request<{ items: Alarm[]; total: number }>(
      'GET',
      `/api/devices/${encodeURIComponent(id)}/alarms?limit=100`,
      {
        signal,
      },
    ),
  rules: (signal: AbortSignal) => request<{ items: Rule[] }>('GET', '/api/devices/rules', { signal }),
  patchRule: (r: Rule, body: Partial<Rule>) =>
    request<{ rule: Rule }>('PATCH', `/api/devices/rules/${encodeURIComponent(r.id)}`, {
      body: { ...body, version: r.version },
    }),
};

const TEXT = {
  'zh-CN': {
    tab: '物联网设备',
    intro:
      '智慧公厕、环境与安全传感器、AI 摄像头：位置所在网格、维护单位、在线状态。设备报警按规则生成事件，重复报警并入未结事件。',
    register: '登记设备',
    code: '设备编号',
    type: '类型',
    name: '名称',
    place: '位置',
    owner: '维护单位',
    interval: '心跳间隔（秒）',
    lastSeen: '最近消息',
    state: '状态',
    online: '在线',
    offline: '离线',
    unknown: '未上线',
    inactive: '停用',
    all: '全部',
    search: '编号或名称',
    deactivate: '停用',
    activate: '启用',
    rotate: '更换密钥',
    alarms: '报警记录',
    secretTitle: '设备签名密钥（只显示这一次）',
    secretHint: '请立即写入设备；关闭后无法再次查看。更换密钥后旧密钥还可使用 60 分钟。',
    rules: '报警规则',
    alarmType: '报警类型',
    minLevel: '最低级别',
    category: '类别',
    urgency: '紧急程度',
    recoveryCloses: '恢复即办结',
    active: '启用',
    outcome: '结果',
    via: '渠道',
    level: '级别',
    value: '读数',
    received: '收到时间',
    caseCode: '案件',
  },
  'zh-TW': {
    tab: '物聯網設備',
    intro:
      '智慧公廁、環境與安全感測器、AI 攝影機：位置所在網格、維護單位、連線狀態。設備告警依規則產生事件，重複告警併入未結事件。',
    register: '登記設備',
    code: '設備編號',
    type: '類型',
    name: '名稱',
    place: '位置',
    owner: '維護單位',
    interval: '心跳間隔（秒）',
    lastSeen: '最近訊息',
    state: '狀態',
    online: '在線',
    offline: '離線',
    unknown: '未上線',
    inactive: '停用',
    all: '全部',
    search: '編號或名稱',
    deactivate: '停用',
    activate: '啟用',
    rotate: '更換金鑰',
    alarms: '告警紀錄',
    secretTitle: '設備簽章金鑰（只顯示這一次）',
    secretHint: '請立即寫入設備；關閉後無法再次查看。更換金鑰後舊金鑰還可使用 60 分鐘。',
    rules: '告警規則',
    alarmType: '告警類型',
    minLevel: '最低級別',
    category: '類別',
    urgency: '緊急程度',
    recoveryCloses: '恢復即辦結',
    active: '啟用',
    outcome: '結果',
    via: '渠道',
    level: '級別',
    value: '讀數',
    received: '收到時間',
    caseCode: '案件',
  },
  en: {
    tab: 'IoT devices',
    intro:
      'Smart toilets, environment and safety sensors, AI cameras: grid, owning unit, connectivity. Alarms become events by rule; repeats fold into the open event.',
    register: 'Register device',
    code: 'Code',
    type: 'Type',
    name: 'Name',
    place: 'Place',
    owner: 'Owner',
    interval: 'Heartbeat (s)',
    lastSeen: 'Last message',
    state: 'State',
    online: 'online',
    offline: 'offline',
    unknown: 'never seen',
    inactive: 'inactive',
    all: 'All',
    search: 'Code or name',
    deactivate: 'Deactivate',
    activate: 'Activate',
    rotate: 'New secret',
    alarms: 'Alarms',
    secretTitle: 'Device secret (shown only now)',
    secretHint:
      'Store it in the device now; it cannot be shown again. After a rotation the old secret works for 60 more minutes.',
    rules: 'Alarm rules',
    alarmType: 'Alarm type',
    minLevel: 'Min level',
    category: 'Category',
    urgency: 'Urgency',
    recoveryCloses: 'Recovery closes',
    active: 'Active',
    outcome: 'Outcome',
    via: 'Via',
    level: 'Level',
    value: 'Reading',
    received: 'Received',
    caseCode: 'Case',
  },
} as const satisfies Record<StaffLang, Record<string, string>>;

type Key = keyof (typeof TEXT)['zh-CN'];

function useText() {
  const lang = useStaffLang();
  return (key: Key) => TEXT[lang][key] as string;
}

/** The tab's label (for the admin page). */
export function DevicesTabLabel() {
  return <>{useText()('tab')}</>;
}

const STATE_COLOR: Record<Device['connectivity'], string> = {
  online: 'green',
  offline: 'red',
  unknown: 'default',
  inactive: 'default',
};

export default function DevicesPage({ canManage = true }: { canManage?: boolean }) {
  const x = useText();
  const t = useT();
  const lang = useStaffLang();
  const { message, modal } = App.useApp();
  const [filter, setFilter] = useState<{ type?: string; connectivity?: string; q?: string }>({});
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`devices|${JSON.stringify(filter)}|${stamp}`, (signal) =>
    api.list(filter, signal),
  );
  const [registering, setRegistering] = useState(false);
  const [viewing, setViewing] = useState<Device | null>(null);
  const refresh = () => setStamp((s) => s + 1);

  const showSecret = (secret: string) =>
    modal.info({
      title: x('secretTitle'),
      width: 560,
      content: (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text code copyable style={{ fontSize: 15 }}>
            {secret}
          </Typography.Text>
          <Typography.Text type="secondary">{x('secretHint')}</Typography.Text>
        </Space>
      ),
    });

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      void message.success(t('common.saved'));
      refresh();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  };

  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} />;

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {x('intro')}
      </Typography.Paragraph>
      <Space wrap>
        <Select
          style={{ width: 170 }}
          value={filter.type ?? ''}
          onChange={(v) => setFilter({ ...filter, type: v || undefined })}
          options={[
            { value: '', label: `${x('type')}: ${x('all')}` },
            ...TYPES.map((v) => ({ value: v, label: v })),
          ]}
        />
        <Select
          style={{ width: 140 }}
          value={filter.connectivity ?? ''}
          onChange={(v) => setFilter({ ...filter, connectivity: v || undefined })}
          options={[
            { value: '', label: `${x('state')}: ${x('all')}` },
            ...(['online', 'offline', 'unknown'] as const).map((v) => ({ value: v, label: x(v) })),
          ]}
        />
        <Input.Search
          allowClear
          placeholder={x('search')}
          style={{ width: 200 }}
          onSearch={(q) => setFilter({ ...filter, q: q || undefined })}
        />
        {canManage && (
          <Button type="primary" onClick={() => setRegistering(true)}>
            {x('register')}
          </Button>
        )}
      </Space>
      <Table<Device>
        size="small"
        rowKey="id"
        loading={state.status === 'loading'}
        dataSource={state.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: true }}
        columns={[
          {
            title: x('code'),
            dataIndex: 'code',
            width: 110,
            render: (c: string) => <Typography.Text code>{c}</Typography.Text>,
          },
          {
            title: x('name'),
            dataIndex: 'name',
            render: (n: string, d) => (
              <Space orientation="vertical" size={0}>
                <span>{n}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {d.typeLabel}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: x('place'),
            key: 'place',
            render: (_: unknown, d) => (
              <Space orientation="vertical" size={0}>
                <span>{d.villageName ?? '—'}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {d.gridId ?? `${d.lon.toFixed(5)}, ${d.lat.toFixed(5)}`}
                </Typography.Text>
              </Space>
            ),
          },
          { title: x('owner'), key: 'owner', render: (_: unknown, d) => d.ownerOrg.name },
          {
            title: x('state'),
            dataIndex: 'connectivity',
            width: 90,
            render: (c: Device['connectivity']) => <Tag color={STATE_COLOR[c]}>{x(c)}</Tag>,
          },
          {
            title: x('lastSeen'),
            dataIndex: 'lastSeenAt',
            width: 150,
            render: (v: string | null) => (v ? formatDateTime(v, lang) : '—'),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, d) => (
              <Space size={4} wrap>
                <Button size="small" onClick={() => setViewing(d)}>
                  {x('alarms')}
                </Button>
                {canManage && (
                  <>
                    <Button
                      size="small"
                      onClick={() =>
                        act(() => api.patch(d, { status: d.status === 'active' ? 'inactive' : 'active' }))
                      }
                    >
                      {d.status === 'active' ? x('deactivate') : x('activate')}
                    </Button>
                    <Button
                      size="small"
                      onClick={() =>
                        act(async () => {
                          const r = await api.rotate(d);
                          showSecret(r.secret);
                        })
                      }
                    >
                      {x('rotate')}
                    </Button>
                  </>
                )}
              </Space>
            ),
          },
        ]}
      />
      <RulesTable canManage={canManage} />
      {registering && (
        <RegisterModal
          onClose={() => setRegistering(false)}
          onSaved={(secret) => {
            setRegistering(false);
            refresh();
            showSecret(secret);
          }}
        />
      )}
      <AlarmsDrawer device={viewing} onClose={() => setViewing(null)} />
    </Space>
  );
}

function RegisterModal({ onClose, onSaved }: { onClose: () => void; onSaved: (secret: string) => void }) {
  const x = useText();
  const t = useT();
  const [form] = Form.useForm<NewDevice>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const save = async (v: NewDevice) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.create(v);
      onSaved(r.secret);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as keyof NewDevice, errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={x('register')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.save')}
    >
      {error && !error.details.length && (
        <Alert type="error" showIcon title={error.message} style={{ marginBottom: 12 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{ type: 'smart_toilet', heartbeatIntervalS: 300 }}
      >
        <Form.Item
          name="code"
          label={x('code')}
          rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/ }]}
        >
          <Input placeholder="WC-0100" />
        </Form.Item>
        <Form.Item name="type" label={x('type')} rules={[{ required: true }]}>
          <Select options={TYPES.map((v) => ({ value: v, label: v }))} />
        </Form.Item>
        <Form.Item name="name" label={x('name')} rules={[{ required: true, max: 60 }]}>
          <Input />
        </Form.Item>
        <Space>
          <Form.Item name="lon" label="lon" rules={[{ required: true }]}>
            <InputNumber step={0.0001} style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="lat" label="lat" rules={[{ required: true }]}>
            <InputNumber step={0.0001} style={{ width: 160 }} />
          </Form.Item>
        </Space>
        <Form.Item name="ownerOrgId" label={x('owner')} rules={[{ required: true }]}>
          <OrgPicker kinds={['department', 'township', 'village']} />
        </Form.Item>
        <Form.Item name="heartbeatIntervalS" label={x('interval')}>
          <InputNumber min={10} max={86400} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function AlarmsDrawer({ device, onClose }: { device: Device | null; onClose: () => void }) {
  const x = useText();
  const lang = useStaffLang();
  const { state, reload } = useAsync(device ? `alarms|${device.id}` : null, (signal) =>
    api.alarms(device!.id, signal),
  );
  return (
    <Drawer
      open={device !== null}
      onClose={onClose}
      size="large"
      title={device ? `${device.code} · ${device.name}` : ''}
    >
      {state.status === 'error' ? (
        <ErrorAlert error={state.error} onRetry={reload} />
      ) : (
        <Table<Alarm>
          size="small"
          rowKey="id"
          loading={state.status === 'loading'}
          dataSource={state.data?.items ?? []}
          pagination={false}
          columns={[
            { title: x('received'), dataIndex: 'receivedAt', render: (v: string) => formatDateTime(v, lang) },
            {
              title: x('alarmType'),
              key: 'type',
              render: (_: unknown, a) => (
                <span>
                  {a.kind === 'recovery' ? '↺ ' : ''}
                  {a.alarmType}
                </span>
              ),
            },
            { title: x('level'), dataIndex: 'level', render: (v: number | null) => v ?? '—' },
            { title: x('value'), dataIndex: 'value', render: (v: string | null) => v ?? '—' },
            { title: x('via'), dataIndex: 'via' },
            {
              title: x('outcome'),
              dataIndex: 'outcome',
              render: (o: string, a) => <Tag title={a.note ?? undefined}>{o}</Tag>,
            },
            {
              title: x('caseCode'),
              dataIndex: 'caseCode',
              render: (c: string | null, a) =>
                c && a.caseId ? <a href={`/staff/cases/${a.caseId}`}>{c}</a> : '—',
            },
          ]}
        />
      )}
    </Drawer>
  );
}

function RulesTable({ canManage }: { canManage: boolean }) {
  const x = useText();
  const { message } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`rules|${stamp}`, (signal) => api.rules(signal));
  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} compact />;
  const toggle = async (r: Rule, body: Partial<Rule>) => {
    try {
      await api.patchRule(r, body);
      setStamp((s) => s + 1);
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  };
  return (
    <>
      <Typography.Title level={5} style={{ marginBottom: 0 }}>
        {x('rules')}
      </Typography.Title>
      <Table<Rule>
        size="small"
        rowKey="id"
        loading={state.status === 'loading'}
        dataSource={state.data?.items ?? []}
        pagination={{ pageSize: 15, hideOnSinglePage: true }}
        scroll={{ x: true }}
        columns={[
          { title: x('type'), dataIndex: 'deviceType' },
          {
            title: x('alarmType'),
            key: 'alarm',
            render: (_: unknown, r) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text code>{r.alarmType}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {r.label}
                </Typography.Text>
              </Space>
            ),
          },
          { title: x('minLevel'), dataIndex: 'minLevel', width: 80 },
          {
            title: x('category'),
            key: 'cat',
            render: (_: unknown, r) => `${r.categoryId} ${r.categoryName}`,
          },
          { title: x('urgency'), dataIndex: 'urgency' },
          {
            title: x('recoveryCloses'),
            dataIndex: 'recoveryCloses',
            render: (v: boolean, r) => (
              <Switch
                size="small"
                checked={v}
                disabled={!canManage}
                onChange={(c) => toggle(r, { recoveryCloses: c })}
              />
            ),
          },
          {
            title: x('active'),
            dataIndex: 'active',
            render: (v: boolean, r) => (
              <Switch
                size="small"
                checked={v}
                disabled={!canManage}
                onChange={(c) => toggle(r, { active: c })}
              />
            ),
          },
        ]}
      />
    </>
  );
}
