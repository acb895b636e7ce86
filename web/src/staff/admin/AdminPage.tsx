/**
 * Administration: the org tree, staff accounts, categories, time limits, the working calendar and
 * the assessment weights. Each tab reads its own endpoint and says so plainly when this server does
 * not offer it yet.
 */
import { Card, Tabs, Typography } from 'antd';
import { navigate, useLocation } from '../../router.tsx';
import type { StaffUser } from '../api.ts';
import { useT } from '../i18n.ts';
import ApiKeysPage, { ApiKeysTabLabel } from './ApiKeysPage.tsx';
import { CalendarTab } from './CalendarTab.tsx';
import CataloguePage, { CatalogueTabLabel } from './CataloguePage.tsx';
import { CategoriesTab } from './CategoriesTab.tsx';
import DevicesPage, { DevicesTabLabel } from './DevicesPage.tsx';
import { OrgTreeTab } from './OrgTreeTab.tsx';
import { TimeLimitsTab } from './TimeLimitsTab.tsx';
import { UsersTab } from './UsersTab.tsx';
import WebhooksPage, { WebhooksTabLabel } from './WebhooksPage.tsx';
import { WeightsTab } from './WeightsTab.tsx';

const TABS = [
  'orgs',
  'users',
  'categories',
  'limits',
  'calendar',
  'weights',
  'webhooks',
  'catalogue',
  'apikeys',
  'devices',
] as const;

export default function AdminPage({ user }: { user: StaffUser }) {
  const t = useT();
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '')
    ? (query.get('tab') as string)
    : 'orgs';
  return (
    <>
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {t('menu.admin')}
      </Typography.Title>
      <Card size="small">
        <Tabs
          activeKey={tab}
          onChange={(k) => navigate(`/staff/admin?tab=${k}`, { replace: true })}
          destroyOnHidden
          items={[
            { key: 'orgs', label: t('admin.orgs'), children: <OrgTreeTab user={user} /> },
            { key: 'users', label: t('admin.users'), children: <UsersTab user={user} /> },
            { key: 'categories', label: t('admin.categories'), children: <CategoriesTab /> },
            { key: 'limits', label: t('admin.limits'), children: <TimeLimitsTab /> },
            { key: 'calendar', label: t('admin.calendar'), children: <CalendarTab /> },
            { key: 'weights', label: t('admin.weights'), children: <WeightsTab /> },
            { key: 'webhooks', label: <WebhooksTabLabel />, children: <WebhooksPage /> },
            { key: 'catalogue', label: <CatalogueTabLabel />, children: <CataloguePage /> },
            { key: 'apikeys', label: <ApiKeysTabLabel />, children: <ApiKeysPage /> },
            { key: 'devices', label: <DevicesTabLabel />, children: <DevicesPage /> },
          ]}
        />
      </Card>
    </>
  );
}
