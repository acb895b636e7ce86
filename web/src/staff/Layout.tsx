/**
 * The workbench frame: a side menu with only the screens the role may use, and a header with the
 * language switch, the notifications bell, the user's name and unit, and sign-out.
 */
import {
  AlertOutlined,
  AuditOutlined,
  CustomerServiceOutlined,
  DashboardOutlined,
  FormOutlined,
  InboxOutlined,
  LogoutOutlined,
  SettingOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { Avatar, Button, Dropdown, Layout, Menu, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useState } from 'react';
import { navigate } from '../router.tsx';
import type { StaffUser } from './api.ts';
import { roleName, STAFF_LANGS, type StaffLang, setStaffLang, useStaffLang, useT } from './i18n.ts';
import { NotificationBell } from './Notifications.tsx';
import { type Screen, screensFor } from './roles.ts';
import { signOut } from './session.ts';

const SCREEN_PATHS: Record<Screen, string> = {
  workbench: '/staff',
  intake: '/staff/intake',
  supervision: '/staff/supervision',
  revisit: '/staff/revisit',
  dashboard: '/staff/dashboard',
  admin: '/staff/admin',
};

const SCREEN_ICONS: Record<Screen, ReactNode> = {
  workbench: <InboxOutlined />,
  intake: <FormOutlined />,
  supervision: <AlertOutlined />,
  revisit: <CustomerServiceOutlined />,
  dashboard: <DashboardOutlined />,
  admin: <SettingOutlined />,
};

const LANG_LABELS: Record<StaffLang, string> = { 'zh-CN': '简体中文', 'zh-TW': '繁體中文', en: 'English' };

/** The language switch (shared with the portal through the same stored preference). */
export function LangSwitch({ size }: { size?: 'small' | 'middle' }) {
  const lang = useStaffLang();
  const t = useT();
  return (
    <Select
      aria-label={t('header.language')}
      size={size ?? 'middle'}
      value={lang}
      style={{ width: 112 }}
      onChange={(v) => setStaffLang(v)}
      options={STAFF_LANGS.map((l) => ({ value: l, label: LANG_LABELS[l] }))}
    />
  );
}

/** The frame around every signed-in screen except the wall-screen dashboard. */
export function StaffLayout({
  user,
  selected,
  children,
}: {
  user: StaffUser;
  selected: string;
  children: ReactNode;
}) {
  const t = useT();
  const lang = useStaffLang();
  const [collapsed, setCollapsed] = useState(false);
  const screens = screensFor(user.role);
  const items = screens.map((s) => ({
    key: SCREEN_PATHS[s],
    icon: SCREEN_ICONS[s],
    label: (
      <a
        href={SCREEN_PATHS[s]}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigate(SCREEN_PATHS[s]);
        }}
      >
        {t(`menu.${s}`)}
      </a>
    ),
  }));

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        width={208}
        breakpoint="lg"
        style={{ position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}
      >
        <div className="gz-brand">
          <span className="gz-brand-mark" aria-hidden>
            治
          </span>
          {!collapsed && <span>{t('app.brand')}</span>}
        </div>
        <Menu theme="dark" mode="inline" selectedKeys={[selected]} items={items} />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="gz-header">
          <Typography.Text type="secondary" ellipsis style={{ minWidth: 0 }}>
            <AuditOutlined /> {user.org.name}
          </Typography.Text>
          <Space size={12}>
            <LangSwitch />
            <NotificationBell />
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  {
                    key: 'who',
                    disabled: true,
                    label: (
                      <div style={{ lineHeight: 1.5 }}>
                        <div>{user.displayName}</div>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {roleName(lang, user.role)} · {user.org.name}
                        </Typography.Text>
                      </div>
                    ),
                  },
                  { type: 'divider' },
                  { key: 'logout', icon: <LogoutOutlined />, label: t('header.signOut') },
                ],
                onClick: ({ key }) => {
                  if (key === 'logout') void signOut();
                },
              }}
            >
              <Button type="text" aria-label={t('header.account')} style={{ height: 40 }}>
                <Space size={8}>
                  <Avatar size="small" icon={<UserOutlined />} style={{ background: '#1677ff' }} />
                  <span style={{ lineHeight: 1.2, textAlign: 'start', display: 'inline-block' }}>
                    <span style={{ display: 'block' }}>{user.displayName}</span>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {roleName(lang, user.role)}
                    </Typography.Text>
                  </span>
                </Space>
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content className="gz-content">{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}
