import { api, type Regions } from '../api.ts';
import { RegionBrowser } from '../components/RegionBrowser.tsx';
import { ErrorState, Loading } from '../components/Status.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { useT } from '../i18n.ts';
import { Link, useLocation } from '../router.tsx';
import { useAsync } from '../useAsync.ts';

/** Public divisions change a few times a year: one request per page load is enough. */
const regionsCache = new Map<string, Regions>();

/** `/`: what the platform is, and the county's townships, villages and grids. */
export function HomePage() {
  const t = useT();
  const { query } = useLocation();
  const browsing = query.has('township') || query.has('village');
  const { state, reload } = useAsync('regions', (signal) => api.regions(signal), regionsCache);
  const county = state.status === 'ok' ? state.data.county.name : null;
  const title = county ? t('home.title', { county }) : t('home.titleGeneric');
  useDocumentTitle(title);

  return (
    <>
      <section className="hero">
        <h1 tabIndex={-1}>{title}</h1>
        {/* Deeper in the region browser the introduction gives way, so the list or map is on the first screen. */}
        {browsing ? null : (
          <>
            <nav className="home-actions" aria-label={t('home.actionsLabel')}>
              <Link to="/appeal/new" className="big-button big-button-primary">
                <span className="big-button-icon" aria-hidden="true">
                  ✎
                </span>
                <span className="big-button-text">
                  <span className="big-button-title">{t('home.appealCta')}</span>
                  <span className="big-button-sub">{t('home.appealSub')}</span>
                </span>
              </Link>
              <Link to="/my" className="big-button">
                <span className="big-button-icon" aria-hidden="true">
                  ☰
                </span>
                <span className="big-button-text">
                  <span className="big-button-title">{t('home.myCta')}</span>
                  <span className="big-button-sub">{t('home.mySub')}</span>
                </span>
              </Link>
              <a href="#regions-heading" className="big-button">
                <span className="big-button-icon" aria-hidden="true">
                  ⌂
                </span>
                <span className="big-button-text">
                  <span className="big-button-title">{t('home.areaCta')}</span>
                  <span className="big-button-sub">{t('home.areaSub')}</span>
                </span>
              </a>
            </nav>
            <p className="lead">{t('home.lead')}</p>
            <ul className="points">
              <li>
                <strong>{t('home.point1Title')}</strong>
                {t('home.point1')}
              </li>
              <li>
                <strong>{t('home.point2Title')}</strong>
                {t('home.point2')}
              </li>
              <li>
                <strong>{t('home.point3Title')}</strong>
                {t('home.point3')}
              </li>
            </ul>
            <p className="button-row">
              <Link to="/board" className="btn btn-secondary">
                {t('home.boardCta')}
              </Link>
              <Link to="/login" className="btn btn-secondary">
                {t('home.loginCta')}
              </Link>
            </p>
          </>
        )}
      </section>

      {state.status === 'loading' ? (
        <section className="card" aria-busy="true">
          <Loading label={t('regions.loading')} />
        </section>
      ) : state.status === 'error' ? (
        <section className="card">
          <ErrorState error={state.error} onRetry={reload} title={t('regions.loadFailed')} />
        </section>
      ) : (
        <RegionBrowser
          regions={state.data}
          townshipCode={query.get('township')}
          villageCode={query.get('village')}
        />
      )}
    </>
  );
}
