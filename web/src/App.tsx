import { lazy, type ReactNode, Suspense, useEffect, useRef } from 'react';
import { Header } from './components/Header.tsx';
import { Loading } from './components/Status.tsx';
import { useT } from './i18n.ts';
import { HomePage } from './pages/HomePage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { MePage } from './pages/MePage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { useLocation } from './router.tsx';
import { loadSession } from './session.ts';

// Pages beyond the first screen load on demand: the portal's first load stays small on weak networks.
const AppealPage = lazy(() => import('./pages/AppealPage.tsx').then((m) => ({ default: m.AppealPage })));
const AppealDonePage = lazy(() =>
  import('./pages/AppealPage.tsx').then((m) => ({ default: m.AppealDonePage })),
);
const MyAppealsPage = lazy(() =>
  import('./pages/MyAppealsPage.tsx').then((m) => ({ default: m.MyAppealsPage })),
);
const MyAppealPage = lazy(() =>
  import('./pages/MyAppealsPage.tsx').then((m) => ({ default: m.MyAppealPage })),
);
const BoardPage = lazy(() => import('./pages/BoardPage.tsx').then((m) => ({ default: m.BoardPage })));
const KioskPage = lazy(() => import('./pages/KioskPage.tsx').then((m) => ({ default: m.KioskPage })));
const GridPage = lazy(() => import('./pages/GridPage.tsx').then((m) => ({ default: m.GridPage })));

/** The route table: exact paths (and `/my/:id`), query strings carry the rest. */
function page(path: string): ReactNode {
  switch (path) {
    case '/':
      return <HomePage />;
    case '/login':
      return <LoginPage />;
    case '/me':
      return <MePage />;
    case '/appeal/new':
      return <AppealPage />;
    case '/appeal/done':
      return <AppealDonePage />;
    case '/my':
      return <MyAppealsPage />;
    case '/board':
      return <BoardPage />;
    case '/grid':
      return <GridPage />;
  }
  const my = /^\/my\/([^/]+)$/.exec(path);
  if (my) return <MyAppealPage key={my[1]} id={decodeURIComponent(my[1]!)} />;
  return <NotFoundPage />;
}

/** The layout around every page, plus focus handling on page changes. */
export function App() {
  const t = useT();
  const { path } = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const previousPath = useRef(path);

  useEffect(() => {
    void loadSession();
  }, []);

  // After a client-side page change, start screen readers and keyboard users at the new page's heading.
  // A page loaded on demand has no heading yet: wait for it (briefly) before moving focus.
  useEffect(() => {
    if (previousPath.current === path) return;
    previousPath.current = path;
    const main = mainRef.current;
    if (!main) return;
    const heading = main.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.focus({ preventScroll: true });
      return;
    }
    main.focus({ preventScroll: true });
    const observer = new MutationObserver(() => {
      const h1 = main.querySelector<HTMLElement>('h1');
      if (!h1) return;
      observer.disconnect();
      if (document.activeElement === main || document.activeElement === document.body) {
        h1.focus({ preventScroll: true });
      }
    });
    observer.observe(main, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 5000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [path]);

  const skipToMain = () => {
    const target = mainRef.current?.querySelector<HTMLElement>('h1') ?? mainRef.current;
    target?.focus();
  };

  // The kiosk is a full-screen page of its own: no site header, navigation or footer.
  if (path === '/kiosk') {
    return (
      <Suspense fallback={<Loading />}>
        <KioskPage />
      </Suspense>
    );
  }

  return (
    <>
      <button type="button" className="skip-link" onClick={skipToMain}>
        {t('app.skipToMain')}
      </button>
      <Header />
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        <Suspense fallback={<Loading />}>{page(path)}</Suspense>
      </main>
      <footer className="site-footer">
        <p>{t('footer.hotline')}</p>
        <p className="small">{t('footer.about')}</p>
      </footer>
    </>
  );
}
