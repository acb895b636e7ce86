import { useState } from 'react';
import { api, type BoardItem, type BoardPage as BoardResult, type Regions } from '../api.ts';
import { EmptyState, ErrorState, Loading } from '../components/Status.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { type Lang, useLang, useT } from '../i18n.ts';
import { href, Link, navigate, useLocation } from '../router.tsx';
import { useAsync } from '../useAsync.ts';

const regionsCache = new Map<string, Regions>();

function percent(lang: Lang, rate: number | null): string {
  if (rate === null) return '—';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(rate);
}

function formatDay(lang: Lang, day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)),
  );
}

/**
 * `/board`: the public board of resolved appeals (办结公示) for the county, a township or a village:
 * this year's totals and the latest closed appeals. Anonymised on the server: category, village,
 * dates and the rating only.
 */
export function BoardPage() {
  const t = useT();
  const lang = useLang();
  useDocumentTitle(t('board.title'));
  const { query } = useLocation();
  const township = query.get('township') ?? '';
  const village = query.get('village') ?? '';
  const regions = useAsync('regions', (signal) => api.regions(signal), regionsCache);
  const key = `${township}|${village}`;
  const board = useAsync(key, (signal) => api.board({ township, village }, signal));
  const [more, setMore] = useState<{
    key: string;
    items: BoardItem[];
    next: string | null;
    loading: boolean;
  }>();
  const extra = more?.key === key ? more : undefined;

  const choose = (next: { township?: string; village?: string }) =>
    navigate(href('/board', { township: next.township || undefined, village: next.village || undefined }), {
      replace: true,
    });

  const towns = regions.state.status === 'ok' ? regions.state.data.townships : [];
  const villages = towns.find((x) => x.code === township)?.villages ?? [];

  const loadMore = async (data: BoardResult) => {
    const cursor = extra ? extra.next : data.next;
    if (!cursor) return;
    setMore({ key, items: extra?.items ?? [], next: cursor, loading: true });
    try {
      const page = await api.board({ township, village, before: cursor });
      setMore({ key, items: [...(extra?.items ?? []), ...page.items], next: page.next, loading: false });
    } catch {
      setMore({ key, items: extra?.items ?? [], next: cursor, loading: false });
    }
  };

  return (
    <>
      <h1 tabIndex={-1} className="page-title">
        {t('board.title')}
      </h1>
      <section className="card board-filter" aria-label={t('board.filter')}>
        <div className="field">
          <label htmlFor="board-township">{t('board.township')}</label>
          <select
            id="board-township"
            value={township}
            onChange={(e) => choose({ township: e.target.value })}
            disabled={towns.length === 0}
          >
            <option value="">{t('board.wholeCounty')}</option>
            {towns.map((x) => (
              <option key={x.code} value={x.code}>
                {x.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="board-village">{t('board.village')}</label>
          <select
            id="board-village"
            value={village}
            onChange={(e) => choose({ township, village: e.target.value })}
            disabled={!township}
          >
            <option value="">{t('board.allVillages')}</option>
            {villages.map((v) => (
              <option key={v.code} value={v.code}>
                {v.name}
              </option>
            ))}
          </select>
        </div>
      </section>

      {board.state.status === 'loading' ? <Loading /> : null}
      {board.state.status === 'error' ? (
        <ErrorState error={board.state.error} onRetry={board.reload} />
      ) : null}
      {board.state.status === 'ok'
        ? (() => {
            const data = board.state.data;
            const items = [...data.items, ...(extra?.items ?? [])];
            const next = extra ? extra.next : data.next;
            return (
              <>
                <section className="card" aria-labelledby="board-summary">
                  <h2 id="board-summary">{t('board.summary', { year: data.year })}</h2>
                  <dl className="stats">
                    <div>
                      <dt>{t('board.closed')}</dt>
                      <dd>{data.summary.closed.toLocaleString(lang)}</dd>
                    </div>
                    <div>
                      <dt>{t('board.resolvedRate')}</dt>
                      <dd>{percent(lang, data.summary.resolvedRate)}</dd>
                    </div>
                    <div>
                      <dt>{t('board.satisfactionRate')}</dt>
                      <dd>{percent(lang, data.summary.satisfactionRate)}</dd>
                    </div>
                    <div>
                      <dt>{t('board.averageDays')}</dt>
                      <dd>
                        {data.summary.averageDays === null
                          ? '—'
                          : t('board.days', { n: data.summary.averageDays.toLocaleString(lang) })}
                      </dd>
                    </div>
                  </dl>
                </section>
                <section className="card" aria-labelledby="board-list">
                  <h2 id="board-list">{t('board.latest')}</h2>
                  {items.length === 0 ? (
                    <EmptyState
                      action={
                        <Link to="/appeal/new" className="btn btn-primary">
                          {t('home.appealCta')}
                        </Link>
                      }
                    >
                      {t('board.empty')}
                    </EmptyState>
                  ) : (
                    <ul className="board-list">
                      {items.map((item, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: the anonymised rows have no id by design.
                        <li key={i} className="board-item">
                          <p className="board-what">
                            <strong>
                              {lang === 'en' && item.categoryEn ? item.categoryEn : item.category}
                            </strong>
                            <span className="small">
                              {' '}
                              · {[item.township, item.village].filter(Boolean).join(' ')}
                            </span>
                          </p>
                          <p className="small">
                            {t('board.timing', {
                              received: formatDay(lang, item.receivedOn),
                              closed: formatDay(lang, item.closedOn),
                              days: item.days.toLocaleString(lang),
                            })}
                          </p>
                          <p className="board-tags">
                            {item.resolved === true ? (
                              <span className="tag state-done">{t('board.resolved')}</span>
                            ) : item.resolved === false ? (
                              <span className="tag state-open">{t('board.notResolved')}</span>
                            ) : null}
                            {item.satisfaction ? (
                              <span className={`tag satisfaction-${item.satisfaction}`}>
                                {t(`satisfaction.${item.satisfaction}`)}
                              </span>
                            ) : null}
                          </p>
                        </li>
                      ))}
                    </ul>
                  )}
                  {next ? (
                    <div className="button-row">
                      <button
                        type="button"
                        className="btn btn-secondary"
                        disabled={extra?.loading}
                        onClick={() => void loadMore(data)}
                      >
                        {extra?.loading ? t('board.loading') : t('board.more')}
                      </button>
                    </div>
                  ) : null}
                  <p className="field-hint">{t('board.privacy')}</p>
                </section>
              </>
            );
          })()
        : null}
    </>
  );
}
