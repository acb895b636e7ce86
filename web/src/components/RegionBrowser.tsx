import { useId, useRef, useState } from 'react';
import type { Regions, Township, Village } from '../api.ts';
import { useFocusOnChange } from '../hooks.ts';
import { useT } from '../i18n.ts';
import { href, Link } from '../router.tsx';
import { EmptyState } from './Status.tsx';
import { VillageGrids } from './VillageGrids.tsx';

interface Props {
  regions: Regions;
  /** Selected township and village codes, from the URL (`/?township=…&village=…`), so Back works. */
  townshipCode: string | null;
  villageCode: string | null;
}

const MAX_RESULTS = 30;

/** County → townships → villages/communities → the village's grid map. */
export function RegionBrowser({ regions, townshipCode, villageCode }: Props) {
  const t = useT();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Moving between levels replaces the content: move focus to the new heading, as a page change would.
  useFocusOnChange(`${townshipCode}/${villageCode}`, headingRef);

  // A village link may arrive without its township (shared link): find it.
  const township =
    regions.townships.find((tw) => tw.code === townshipCode) ??
    (villageCode
      ? regions.townships.find((tw) => tw.villages.some((v) => v.code === villageCode))
      : undefined);
  const village = villageCode ? township?.villages.find((v) => v.code === villageCode) : undefined;

  const lostTownship = townshipCode !== null && !township;
  const lostVillage = villageCode !== null && !village;

  return (
    <section className="card regions" aria-labelledby="regions-heading">
      <nav aria-label={t('regions.breadcrumb')}>
        <ol className="breadcrumbs">
          <li>
            {township ? (
              <Link to="/">{regions.county.name}</Link>
            ) : (
              <span aria-current="location">{regions.county.name}</span>
            )}
          </li>
          {township ? (
            <li>
              {village ? (
                <Link to={href('/', { township: township.code })}>{township.name}</Link>
              ) : (
                <span aria-current="location">{township.name}</span>
              )}
            </li>
          ) : null}
          {village ? (
            <li>
              <span aria-current="location">{village.name}</span>
            </li>
          ) : null}
        </ol>
      </nav>

      <h2 id="regions-heading" ref={headingRef} tabIndex={-1}>
        {village
          ? t('regions.villageTitle', { name: village.name })
          : township
            ? t('regions.townshipTitle', { name: township.name })
            : t('regions.title')}
      </h2>

      {lostTownship || lostVillage ? (
        <EmptyState action={<Link to="/">{t('regions.backToCounty')}</Link>}>
          {t('regions.notFound')}
        </EmptyState>
      ) : village && township ? (
        <>
          <p className="muted">
            {t(`subtype.${village.subtype}`)} · {township.name}
          </p>
          <VillageGrids key={village.code} village={village} />
        </>
      ) : township ? (
        <VillageList township={township} />
      ) : (
        <TownshipList regions={regions} />
      )}
    </section>
  );
}

function TownshipList({ regions }: { regions: Regions }) {
  const t = useT();
  const [query, setQuery] = useState('');
  const inputId = useId();
  const needle = query.trim();

  if (regions.townships.length === 0) return <EmptyState>{t('regions.emptyCounty')}</EmptyState>;

  const matches = needle
    ? regions.townships.flatMap((tw) =>
        tw.villages.filter((v) => v.name.includes(needle)).map((v) => ({ township: tw, village: v })),
      )
    : [];

  return (
    <>
      <div className="field search-field">
        <label htmlFor={inputId}>{t('regions.search')}</label>
        <input
          id={inputId}
          type="search"
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          placeholder={t('regions.searchPlaceholder')}
          autoComplete="off"
          enterKeyHint="search"
        />
      </div>
      {needle ? (
        <>
          <p className="muted" role="status">
            {matches.length === 0
              ? t('regions.noMatch', { q: needle })
              : t('regions.matchCount', { n: Math.min(matches.length, MAX_RESULTS) })}
          </p>
          <ul className="list">
            {matches.slice(0, MAX_RESULTS).map(({ township, village }) => (
              <li key={village.code}>
                <VillageLink township={township} village={village} showTownship />
              </li>
            ))}
          </ul>
        </>
      ) : (
        <ul className="list">
          {regions.townships.map((tw) => (
            <li key={tw.code}>
              <Link to={href('/', { township: tw.code })} className="list-item">
                <span className="list-main">
                  <span className="list-title">{tw.name}</span>
                  <span className="list-meta">
                    <span className="tag">{t(`subtype.${tw.subtype}`)}</span>
                    {t('regions.villageCount', { n: tw.villages.length })}
                  </span>
                </span>
                <span className="chevron" aria-hidden="true">
                  ›
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function VillageList({ township }: { township: Township }) {
  const t = useT();
  if (township.villages.length === 0) return <EmptyState>{t('regions.emptyTownship')}</EmptyState>;
  return (
    <ul className="list">
      {township.villages.map((v) => (
        <li key={v.code}>
          <VillageLink township={township} village={v} />
        </li>
      ))}
    </ul>
  );
}

function VillageLink({
  township,
  village,
  showTownship,
}: {
  township: Township;
  village: Village;
  showTownship?: boolean;
}) {
  const t = useT();
  return (
    <Link to={href('/', { township: township.code, village: village.code })} className="list-item">
      <span className="list-main">
        <span className="list-title">{village.name}</span>
        <span className="list-meta">
          <span className={village.subtype === 'community' ? 'tag tag-community' : 'tag'}>
            {t(`subtype.${village.subtype}`)}
          </span>
          {showTownship ? `${township.name} · ` : ''}
          {t('regions.gridCount', { n: village.gridCount })}
        </span>
      </span>
      <span className="chevron" aria-hidden="true">
        ›
      </span>
    </Link>
  );
}
