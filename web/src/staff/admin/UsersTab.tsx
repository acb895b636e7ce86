/** Staff accounts: list and filter, create, edit (name, role, unit, active, password) and unlock. */
import { App, Button, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { STAFF_ROLES } from '../../../../common/roles.ts';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, type StaffUser, staffApi, type UserRow } from '../api.ts';
import { roleName, useStaffLang, useT } from '../i18n.ts';
import { OrgPicker } from '../OrgPicker.tsx';
import { ErrorAlert, fieldErrorsOf, formatDateTime } from '../ui.tsx';

const PAGE = 20;

interface EditValues {
  username?: string;
  displayName: string;
  role: string;
  orgId: string;
  password?: string;
  active?: boolean;
}

export function UsersTab({ user: _user }: { user: StaffUser }) {
  const t = useT();
  const lang = useStaffLang();
  const [q, setQ] = useState('');
  const [role, setRole] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [stamp, setStamp] = useState(0);
  const [editing, setEditing] = useState<UserRow | 'new' | null>(null);
  const { message } = App.useApp();
  const { state, reload } = useAsync(`${q}|${role ?? ''}|${page}|${stamp}`, (signal) =>
    staffApi.users({ q: q || undefined, role, limit: PAGE, offset: (page - 1) * PAGE }, signal),
  );

  const unlock = async (u: UserRow) => {
    try {
      await staffApi.patchUser(u.id, { unlock: true, version: u.version });
      void message.success(t('admin.unlocked', { name: u.displayName }));
      setStamp((s) => s + 1);
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Input.Search
          allowClear
          placeholder={t('admin.userSearch')}
          onSearch={(v) => {
            setQ(v.trim());
            setPage(1);
          }}
          style={{ width: 240 }}
        />
        <Select
          allowClear
          placeholder={t('admin.role')}
          value={role}
          onChange={(v) => {
            setRole(v);
            setPage(1);
          }}
          options={STAFF_ROLES.map((r) => ({ value: r, label: roleName(lang, r) }))}
          style={{ width: 180 }}
        />
        <Button type="primary" onClick={() => setEditing('new')}>
          {t('admin.newUser')}
        </Button>
      </Space>
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      <Table<UserRow>
        rowKey="id"
        size="small"
        loading={state.status === 'loading'}
        dataSource={state.status === 'ok' ? state.data.items : []}
        pagination={false}
        columns={[
          { title: t('admin.username'), dataIndex: 'username' },
          { title: t('admin.displayName'), dataIndex: 'displayName' },
          { title: t('admin.role'), dataIndex: 'role', render: (r: string) => roleName(lang, r) },
          { title: t('admin.unit'), dataIndex: 'orgName', ellipsis: true },
          {
            title: t('admin.status'),
            key: 's',
            render: (_, u) => (
              <Space size={4}>
                {u.active ? (
                  <Tag color="green">{t('admin.activeTag')}</Tag>
                ) : (
                  <Tag>{t('admin.inactiveTag')}</Tag>
                )}
                {u.locked && <Tag color="red">{t('admin.lockedTag')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('admin.lastLogin'),
            dataIndex: 'lastLoginAt',
            render: (v: string | null) => formatDateTime(v, lang),
          },
          {
            title: '',
            key: 'a',
            render: (_, u) => (
              <Space>
                <Button size="small" onClick={() => setEditing(u)}>
                  {t('common.edit')}
                </Button>
                {u.locked && (
                  <Button size="small" onClick={() => void unlock(u)}>
                    {t('admin.unlock')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Space style={{ justifyContent: 'flex-end', width: '100%' }}>
        <Button disabled={page <= 1} onClick={() => setPage(page - 1)}>
          {t('queue.prev')}
        </Button>
        <Typography.Text type="secondary">{t('queue.page', { n: page })}</Typography.Text>
        <Button disabled={!(state.status === 'ok' && state.data.hasMore)} onClick={() => setPage(page + 1)}>
          {t('queue.next')}
        </Button>
      </Space>
      <UserModal
        editing={editing}
        onClose={(changed) => {
          setEditing(null);
          if (changed) setStamp((s) => s + 1);
        }}
      />
    </Space>
  );
}

function UserModal({
  editing,
  onClose,
}: {
  editing: UserRow | 'new' | null;
  onClose: (changed: boolean) => void;
}) {
  const t = useT();
  const lang = useStaffLang();
  const [form] = Form.useForm<EditValues>();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const isNew = editing === 'new';
  if (!editing) return null;

  const save = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      if (editing === 'new') {
        await staffApi.createUser({
          username: v.username!.trim(),
          displayName: v.displayName.trim(),
          role: v.role,
          orgId: v.orgId,
          password: v.password!,
        });
      } else {
        await staffApi.patchUser(editing.id, {
          version: editing.version,
          ...(v.displayName.trim() !== editing.displayName ? { displayName: v.displayName.trim() } : {}),
          ...(v.role !== editing.role ? { role: v.role } : {}),
          ...(v.orgId !== editing.orgId ? { orgId: v.orgId } : {}),
          ...(v.active !== editing.active ? { active: v.active } : {}),
          ...(v.password ? { password: v.password } : {}),
        });
      }
      onClose(true);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as keyof EditValues, errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={isNew ? t('admin.newUser') : t('admin.editUser', { name: (editing as UserRow).displayName })}
      onCancel={() => onClose(false)}
      onOk={save}
      okButtonProps={{ loading: busy }}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      destroyOnHidden
    >
      <Form<EditValues>
        form={form}
        layout="vertical"
        disabled={busy}
        initialValues={
          isNew
            ? { active: true }
            : {
                displayName: (editing as UserRow).displayName,
                role: (editing as UserRow).role,
                orgId: (editing as UserRow).orgId,
                active: (editing as UserRow).active,
              }
        }
      >
        {isNew && (
          <Form.Item
            name="username"
            label={t('admin.username')}
            rules={[{ required: true, whitespace: true, min: 3, max: 40 }]}
          >
            <Input maxLength={40} autoComplete="off" />
          </Form.Item>
        )}
        <Form.Item
          name="displayName"
          label={t('admin.displayName')}
          rules={[{ required: true, whitespace: true, max: 50 }]}
        >
          <Input maxLength={50} />
        </Form.Item>
        <Form.Item name="role" label={t('admin.role')} rules={[{ required: true }]}>
          <Select options={STAFF_ROLES.map((r) => ({ value: r, label: roleName(lang, r) }))} />
        </Form.Item>
        <Form.Item name="orgId" label={t('admin.unit')} rules={[{ required: true }]}>
          <OrgPicker />
        </Form.Item>
        <Form.Item
          name="password"
          label={isNew ? t('admin.password') : t('admin.resetPassword')}
          rules={[
            { required: isNew, message: t('admin.passwordRule') },
            { min: 10, message: t('admin.passwordRule') },
            { pattern: /^(?=.*[A-Za-z])(?=.*\d).+$/, message: t('admin.passwordRule') },
          ]}
          extra={t('admin.passwordRule')}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {!isNew && (
          <Form.Item name="active" label={t('admin.active')} valuePropName="checked">
            <Switch />
          </Form.Item>
        )}
      </Form>
      {error && <ErrorAlert error={error} />}
    </Modal>
  );
}
