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
            <p>
              <Link to="/login" className="btn btn-primary">
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
