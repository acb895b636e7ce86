import { LANG_NAMES, LANGS, type Lang, setLang, useLang, useT } from '../i18n.ts';
import { largeText, useStore } from '../prefs.ts';
import { Link, useLocation } from '../router.tsx';
import { useSession } from '../session.ts';

/** The site header: brand, navigation, language switch and the large-text toggle. */
export function Header() {
  const t = useT();
  const lang = useLang();
  const big = useStore(largeText);
  const session = useSession();
  const { path } = useLocation();
  const signedIn = session.status === 'staff' || session.status === 'citizen';
  const accountPath = signedIn ? '/me' : '/login';

  return (
    <header className="site-header">
      <div className="header-inner">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            共
          </span>
          <span className="brand-name">{t('app.name')}</span>
        </Link>
        <nav className="header-nav" aria-label={t('header.nav')}>
          <Link to="/" className="nav-link" aria-current={path === '/' ? 'page' : undefined}>
            {t('nav.home')}
          </Link>
          <Link
            to={accountPath}
            className="nav-link"
            aria-current={path === accountPath ? 'page' : undefined}
          >
            {signedIn ? t('nav.me') : t('nav.login')}
          </Link>
        </nav>
        <div className="header-tools">
          <label className="lang-switch">
            <span className="visually-hidden">{t('header.language')}</span>
            <span className="lang-icon" aria-hidden="true">
              文
            </span>
            <select value={lang} onChange={(e) => void setLang(e.currentTarget.value as Lang)}>
              {LANGS.map((l) => (
                <option key={l} value={l} lang={l}>
                  {LANG_NAMES[l]}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="btn btn-toggle"
            aria-pressed={big}
            onClick={() => largeText.set(!big)}
            title={t('header.largeTextHint')}
          >
            {t('header.largeText')}
          </button>
        </div>
      </div>
    </header>
  );
}
