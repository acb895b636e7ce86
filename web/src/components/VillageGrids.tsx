import { useState } from 'react';
import { api, type GridCollection, type Village } from '../api.ts';
import { useT } from '../i18n.ts';
import { useAsync } from '../useAsync.ts';
import { GridMap } from './GridMap.tsx';
import { EmptyState, ErrorState, Loading } from './Status.tsx';

/** Grid shapes change rarely: keep each village's answer for the life of the page. */
const gridCache = new Map<string, GridCollection>();

/** A village's grids: the map, a list of the same grids (for screen readers and small screens), details. */
export function VillageGrids({ village }: { village: Village }) {
  const t = useT();
  const { state, reload } = useAsync(
    `grids:${village.code}`,
    (signal) => api.publicGrids(village.code, signal),
    gridCache,
  );
  const [selected, setSelected] = useState<string | null>(null);

  if (state.status === 'loading') return <Loading label={t('grids.loading')} />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;

  const features = (state.data.features ?? []).filter((f) => f.geometry);
  if (features.length === 0) {
    return (
      <EmptyState action={<RetryButton onClick={reload} />}>
        {t('grids.empty', { name: village.name })}
      </EmptyState>
    );
  }
  const current = features.find((f) => f.properties.code === selected);

  return (
    <div className="village-grids">
      <GridMap
        features={features}
        label={t('grids.mapLabel', { name: village.name })}
        selected={selected}
        onSelect={(code) => setSelected((s) => (s === code ? null : code))}
      />
      <p className="selected-grid" aria-live="polite">
        {current
          ? t('grids.selected', { name: current.properties.name, code: current.properties.code })
          : t('grids.tapHint')}
      </p>
      <h3 className="list-heading">{t('grids.listTitle', { n: features.length })}</h3>
      <ul className="chip-list">
        {features.map((f) => (
          <li key={f.properties.code}>
            <button
              type="button"
              className="chip"
              aria-pressed={f.properties.code === selected}
              onClick={() => setSelected((s) => (s === f.properties.code ? null : f.properties.code))}
            >
              {f.properties.name}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function RetryButton({ onClick }: { onClick: () => void }) {
  const t = useT();
  return (
    <button type="button" className="btn btn-secondary" onClick={onClick}>
      {t('common.retry')}
    </button>
  );
}
