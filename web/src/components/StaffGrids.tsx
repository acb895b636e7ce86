import { useEffect } from 'react';
import { api } from '../api.ts';
import { useLang, useT } from '../i18n.ts';
import { signedOut } from '../session.ts';
import { useAsync } from '../useAsync.ts';
import { EmptyState, ErrorState, Loading } from './Status.tsx';

/** The grids of one village with their workers, as staff see them (`GET /api/grids?village=`). */
export function StaffGrids({ villageCode }: { villageCode: string }) {
  const t = useT();
  const lang = useLang();
  const { state, reload } = useAsync(`staff-grids:${villageCode}`, (signal) =>
    api.grids(villageCode, signal),
  );

  useEffect(() => {
    if (state.status === 'error' && state.error.status === 401) signedOut();
  }, [state]);

  return (
    <section className="staff-grids" aria-labelledby="staff-grids-heading">
      <h4 id="staff-grids-heading" className="list-heading">
        {t('staffGrids.title')}
      </h4>
      {state.status === 'loading' ? (
        <Loading />
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} />
      ) : state.data.items.length === 0 ? (
        <EmptyState>{t('staffGrids.empty')}</EmptyState>
      ) : (
        <ul className="list">
          {state.data.items.map((g) => (
            <li key={String(g.id)} className="list-item list-item-static">
              <span className="list-main">
                <span className="list-title">{g.name}</span>
                <span className="list-meta">
                  {g.workerNames.length > 0
                    ? t('staffGrids.workers', { names: g.workerNames.join(lang === 'en' ? ', ' : '、') })
                    : t('staffGrids.noWorker')}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
