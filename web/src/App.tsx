import { useEffect, useRef } from 'react';
import { Header } from './components/Header.tsx';
import { useT } from './i18n.ts';
import { HomePage } from './pages/HomePage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { MePage } from './pages/MePage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { useLocation } from './router.tsx';
import { loadSession } from './session.ts';

/** The route table: exact paths, query strings carry the rest. */
function page(path: string) {
  switch (path) {
    case '/':
      return <HomePage />;
    case '/login':
      return <LoginPage />;
    case '/me':
      return <MePage />;
    default:
      return <NotFoundPage />;
  }
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
  useEffect(() => {
    if (previousPath.current === path) return;
    previousPath.current = path;
    const target = mainRef.current?.querySelector<HTMLElement>('h1') ?? mainRef.current;
    target?.focus({ preventScroll: true });
  }, [path]);

  const skipToMain = () => {
    const target = mainRef.current?.querySelector<HTMLElement>('h1') ?? mainRef.current;
    target?.focus();
  };

  return (
    <>
      <button type="button" className="skip-link" onClick={skipToMain}>
        {t('app.skipToMain')}
      </button>
      <Header />
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {page(path)}
      </main>
      <footer className="site-footer">
        <p>{t('footer.hotline')}</p>
        <p className="small">{t('footer.about')}</p>
      </footer>
    </>
  );
}
