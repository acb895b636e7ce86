/**
 * The workbench shell: language and Ant Design locale, the session, and the routes under /staff.
 * The dashboard (ECharts) and the admin screens load on demand.
 */
import { App as AntApp, ConfigProvider, Result, Spin } from 'antd';
import enUSModule from 'antd/es/locale/en_US.js';
import type { Locale } from 'antd/es/locale/index.js';
import zhCNModule from 'antd/es/locale/zh_CN.js';
import zhTWModule from 'antd/es/locale/zh_TW.js';
import { lazy, type ReactNode, Suspense, useEffect } from 'react';
import { navigate, useLocation } from '../router.tsx';
import type { Queue } from './api.ts';
import { QUEUES } from './api.ts';
import { type StaffLang, useStaffLang, useT } from './i18n.ts';
import { StaffLayout } from './Layout.tsx';
import { LoginPage } from './LoginPage.tsx';
import { homeFor, type Screen, screensFor } from './roles.ts';
import { loadStaffSession, useStaffSession } from './session.ts';
import { ErrorAlert } from './ui.tsx';

// Every screen behind the sign-in loads on demand: the sign-in page needs only the shell, and each
// screen brings its own Ant Design components (tables, forms, timelines) and, for the dashboard, ECharts.
const loadQueuePage = () => import('./QueuePage.tsx');
const QueuePage = lazy(() => loadQueuePage().then((m) => ({ default: m.QueuePage })));
const CaseDetailPage = lazy(() =>
  import('./CaseDetailPage.tsx').then((m) => ({ default: m.CaseDetailPage })),
);
const IntakePage = lazy(() => import('./IntakePage.tsx').then((m) => ({ default: m.IntakePage })));
const RevisitPage = lazy(() => import('./RevisitPage.tsx').then((m) => ({ default: m.RevisitPage })));
const DashboardPage = lazy(() => import('./dashboard/DashboardPage.tsx'));
const AdminPage = lazy(() => import('./admin/AdminPage.tsx'));

/** While someone types their password, the queue (most people's first screen) is fetched. */
function usePrefetchQueue(active: boolean) {
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => void loadQueuePage().catch(() => undefined), 1000);
    return () => clearTimeout(timer);
  }, [active]);
}

/** antd's locale files are ES modules typed as CommonJS under NodeNext: take the default export either way. */
function localeOf(m: unknown): Locale {
  return ((m as { default?: Locale }).default ?? m) as Locale;
}
const ANTD_LOCALES: Record<StaffLang, Locale> = {
  'zh-CN': localeOf(zhCNModule),
  'zh-TW': localeOf(zhTWModule),
  en: localeOf(enUSModule),
};

/** The workbench application. */
export function StaffApp() {
  const lang = useStaffLang();
  useEffect(() => {
    void loadStaffSession();
  }, []);
  return (
    <ConfigProvider
      locale={ANTD_LOCALES[lang]}
      theme={{ token: { borderRadius: 6 } }}
      button={{ autoInsertSpace: false }}
    >
      <AntApp>
        <Routes />
      </AntApp>
    </ConfigProvider>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function Loading() {
  return (
    <div style={{ display: 'grid', placeItems: 'center', minHeight: '60vh' }}>
      <Spin size="large" />
    </div>
  );
}

function Routes() {
  const t = useT();
  const { path, query, href } = useLocation();
  const session = useStaffSession();

  useEffect(() => {
    document.title = `${t('app.title')} · ${t('app.name')}`;
  }, [t]);
  usePrefetchQueue(path === '/staff/login');

  if (path === '/staff/login') return <LoginPage />;
  if (session.status === 'loading') return <Loading />;
  if (session.status === 'error') {
    return (
      <div style={{ maxWidth: 560, margin: '80px auto' }}>
        <ErrorAlert error={session.error} onRetry={() => void loadStaffSession()} />
      </div>
    );
  }
  if (session.status === 'anonymous')
    return <Redirect to={`/staff/login?next=${encodeURIComponent(href)}`} />;

  const user = session.user;
  const screens = screensFor(user.role);
  const guard = (screen: Screen, node: ReactNode) =>
    screens.includes(screen) ? node : <Result status="403" title={t('app.noAccess')} />;

  const wall = path === '/staff/dashboard' && query.get('wall') === '1';
  if (wall) {
    return guard(
      'dashboard',
      <Suspense fallback={<Loading />}>
        <DashboardPage user={user} wall />
      </Suspense>,
    );
  }

  let page: ReactNode;
  let selected: string = path;
  const queueMatch = /^\/staff\/queue\/([a-z_]+)$/.exec(path);
  const caseMatch = /^\/staff\/cases\/([0-9a-f-]{36})$/.exec(path);
  const supMatch = /^\/staff\/supervision(?:\/([a-z_]+))?$/.exec(path);
  if (path === '/staff' || path === '/staff/') {
    const home = homeFor(user.role);
    if (home !== '/staff') return <Redirect to={home} />;
    page = guard('workbench', <QueuePage user={user} queue={null} mode="workbench" />);
    selected = '/staff';
  } else if (queueMatch) {
    const q = queueMatch[1] as Queue;
    page = (QUEUES as readonly string[]).includes(q) ? (
      guard('workbench', <QueuePage user={user} queue={q} mode="workbench" />)
    ) : (
      <NotFound />
    );
    selected = '/staff';
  } else if (caseMatch) {
    page = guard('workbench', <CaseDetailPage id={caseMatch[1]!} user={user} />);
    selected = '/staff';
  } else if (path === '/staff/intake') {
    page = guard('intake', <IntakePage user={user} />);
  } else if (supMatch) {
    page = guard(
      'supervision',
      <QueuePage user={user} queue={(supMatch[1] as Queue) ?? null} mode="supervision" />,
    );
    selected = '/staff/supervision';
  } else if (path === '/staff/revisit') {
    page = guard('revisit', <RevisitPage user={user} />);
  } else if (path === '/staff/dashboard') {
    page = guard(
      'dashboard',
      <Suspense fallback={<Loading />}>
        <DashboardPage user={user} wall={false} />
      </Suspense>,
    );
  } else if (path === '/staff/admin') {
    page = guard(
      'admin',
      <Suspense fallback={<Loading />}>
        <AdminPage user={user} />
      </Suspense>,
    );
  } else if (path === '/staff/none') {
    page = <Result status="info" title={t('app.nothingHere')} subTitle={t('app.nothingHereHint')} />;
  } else {
    page = <NotFound />;
  }

  return (
    <StaffLayout user={user} selected={selected}>
      <Suspense fallback={<Loading />}>{page}</Suspense>
    </StaffLayout>
  );
}

function NotFound() {
  const t = useT();
  return <Result status="404" title={t('app.notFound')} />;
}
