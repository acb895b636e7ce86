/**
 * The category taxonomy: who handles each category by default, urgency, reply limit, whether the
 * public sees it, active. Edits go to `PATCH /api/categories/:id` with the version read.
 */
import {
  Alert,
  App,
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { type ApiError, asApiError, type Category, staffApi } from '../api.ts';
import { reloadCategories, useCategories } from '../data.ts';
import { useStaffLang, useT } from '../i18n.ts';
import { OrgPicker } from '../OrgPicker.tsx';
import { ErrorAlert, fieldErrorsOf } from '../ui.tsx';

const LEVELS = ['village', 'township', 'department', 'county'];
const UNITS = ['hours', 'working_hours', 'working_days', 'natural_days'];

type Row = Category & { children?: Row[] };

export function CategoriesTab() {
  const t = useT();
  const lang = useStaffLang();
  const cats = useCategories();
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<Category | null>(null);

  const rows = useMemo<Row[]>(() => {
    const items = cats.data?.items ?? [];
    const match = (c: Category) =>
      !q ||
      c.id.includes(q.toUpperCase()) ||
      c.name.includes(q) ||
      (c.nameEn ?? '').toLowerCase().includes(q.toLowerCase());
    return items
      .filter((c) => !c.parentId)
      .map((top) => {
        const children = items.filter((c) => c.parentId === top.id && (match(c) || match(top)));
        return { ...top, ...(children.length ? { children } : {}) };
      })
      .filter((r) => match(r) || (r.children?.length ?? 0) > 0);
  }, [cats.data, q]);

  if (cats.error) return <ErrorAlert error={cats.error} onRetry={reloadCategories} />;
  const readOnly = cats.data?.source === 'public';

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {readOnly && <Alert type="warning" showIcon title={t('admin.categoriesReadOnly')} />}
      <Input.Search
        allowClear
        placeholder={t('admin.categorySearch')}
        onSearch={(v) => setQ(v.trim())}
        style={{ width: 280 }}
      />
      <Table<Row>
        rowKey="id"
        size="small"
        loading={cats.loading}
        dataSource={rows}
        pagination={false}
        scroll={{ y: 560 }}
        expandable={{ defaultExpandAllRows: false }}
        columns={[
          { title: t('admin.categoryCode'), dataIndex: 'id', width: 100 },
          {
            title: t('admin.categoryName'),
            dataIndex: 'name',
            render: (n: string, c) => (
              <span style={{ opacity: c.active === false ? 0.5 : 1 }}>
                {lang === 'en' && c.nameEn ? c.nameEn : n}
              </span>
            ),
          },
          {
            title: t('admin.level'),
            dataIndex: 'level',
            width: 100,
            render: (v?: string) => (v ? t(`level.${v}`) : '—'),
          },
          {
            title: t('admin.defaultUnit'),
            dataIndex: 'defaultOrgName',
            ellipsis: true,
            render: (v?: string | null) => v ?? '—',
          },
          {
            title: t('admin.urgency'),
            dataIndex: 'urgency',
            width: 80,
            render: (v?: string) => (v ? t(`urgency.${v}`) : '—'),
          },
          {
            title: t('admin.replyLimit'),
            dataIndex: 'replyLimit',
            width: 120,
            render: (v?: { amount: number; unit: string } | null) =>
              v ? `${v.amount} ${t(`limitUnit.${v.unit}`)}` : '—',
          },
          {
            title: t('admin.flags'),
            key: 'f',
            width: 190,
            render: (_, c) => (
              <Space size={2}>
                {c.public && <Tag color="blue">{t('admin.public')}</Tag>}
                {c.active === false && <Tag>{t('admin.inactiveTag')}</Tag>}
                {c.caseTypes.map((x) => (
                  <Tag key={x}>{t(`type.${x}`)}</Tag>
                ))}
              </Space>
            ),
          },
          {
            title: '',
            key: 'e',
            width: 76,
            render: (_, c) =>
              readOnly ? null : (
                <Button size="small" onClick={() => setEditing(c)}>
                  {t('common.edit')}
                </Button>
              ),
          },
        ]}
      />
      {editing && (
        <CategoryModal
          c={editing}
          onClose={(changed) => {
            setEditing(null);
            if (changed) reloadCategories();
          }}
        />
      )}
    </Space>
  );
}

interface Values {
  name: string;
  nameEn?: string;
  level: string;
  defaultOrgId?: string;
  urgency: string;
  amount: number;
  unit: string;
  public: boolean;
  active: boolean;
}

function CategoryModal({ c, onClose }: { c: Category; onClose: (changed: boolean) => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const level = Form.useWatch('level', form);

  const save = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      await staffApi.patchCategory(c.id, {
        version: c.version,
        name: v.name.trim(),
        nameEn: v.nameEn?.trim() ?? '',
        level: v.level,
        defaultOrgId: v.level === 'department' || v.level === 'county' ? (v.defaultOrgId ?? null) : null,
        urgency: v.urgency,
        replyLimit: { amount: v.amount, unit: v.unit },
        public: v.public,
        active: v.active,
      });
      void message.success(t('common.saved'));
      onClose(true);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as keyof Values, errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={`${c.id} · ${c.name}`}
      onCancel={() => onClose(false)}
      onOk={save}
      okButtonProps={{ loading: busy }}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      destroyOnHidden
      width={600}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        disabled={busy}
        initialValues={{
          name: c.name,
          nameEn: c.nameEn ?? undefined,
          level: c.level ?? 'county',
          defaultOrgId: c.defaultOrgId ?? undefined,
          urgency: c.urgency ?? 'normal',
          amount: c.replyLimit?.amount ?? 7,
          unit: c.replyLimit?.unit ?? 'working_days',
          public: c.public ?? true,
          active: c.active ?? true,
        }}
      >
        <Space.Compact block>
          <Form.Item
            name="name"
            label={t('admin.categoryName')}
            rules={[{ required: true, whitespace: true, max: 50 }]}
            style={{ flex: 1 }}
          >
            <Input maxLength={50} />
          </Form.Item>
          <Form.Item
            name="nameEn"
            label={t('admin.categoryNameEn')}
            style={{ flex: 1, marginInlineStart: 8 }}
          >
            <Input maxLength={100} />
          </Form.Item>
        </Space.Compact>
        <Form.Item name="level" label={t('admin.level')} rules={[{ required: true }]}>
          <Radio.Group
            optionType="button"
            options={LEVELS.map((l) => ({ value: l, label: t(`level.${l}`) }))}
          />
        </Form.Item>
        {(level === 'department' || level === 'county') && (
          <Form.Item name="defaultOrgId" label={t('admin.defaultUnit')}>
            <OrgPicker kinds={level === 'department' ? ['department'] : ['county', 'centre']} />
          </Form.Item>
        )}
        <Form.Item name="urgency" label={t('admin.urgency')}>
          <Radio.Group
            options={['normal', 'urgent', 'emergency'].map((u) => ({ value: u, label: t(`urgency.${u}`) }))}
          />
        </Form.Item>
        <Form.Item label={t('admin.replyLimit')} required>
          <Space.Compact>
            <Form.Item name="amount" noStyle rules={[{ required: true, type: 'integer', min: 1, max: 1000 }]}>
              <InputNumber min={1} max={1000} precision={0} style={{ width: 110 }} />
            </Form.Item>
            <Form.Item name="unit" noStyle>
              <Select
                style={{ width: 130 }}
                options={UNITS.map((u) => ({ value: u, label: t(`limitUnit.${u}`) }))}
              />
            </Form.Item>
          </Space.Compact>
        </Form.Item>
        <Space size={32}>
          <Form.Item name="public" label={t('admin.public')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="active" label={t('admin.active')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
      </Form>
      {c.keywords && c.keywords.length > 0 && (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t('admin.keywords')}：{c.keywords.join('、')}
        </Typography.Paragraph>
      )}
      {error && <ErrorAlert error={error} />}
    </Modal>
  );
}
