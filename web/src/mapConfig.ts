import { useEffect, useState } from 'react';

/** Map settings from GET /api/public/config: an optional tile server under the grid drawings. */
export interface MapConfig {
  mapTileUrl: string | null;
  mapTileAttribution: string;
}

const NONE: MapConfig = { mapTileUrl: null, mapTileAttribution: '' };
let loaded: Promise<MapConfig> | null = null;

/** Fetched once per page; without it (offline, old server) the grids are drawn alone. */
export function loadMapConfig(): Promise<MapConfig> {
  loaded ??= fetch('/api/public/config', { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? (r.json() as Promise<MapConfig>) : NONE))
    .then((c) => ({ mapTileUrl: c.mapTileUrl ?? null, mapTileAttribution: c.mapTileAttribution ?? '' }))
    .catch(() => NONE);
  return loaded;
}

export function useMapConfig(): MapConfig {
  const [config, setConfig] = useState<MapConfig>(NONE);
  useEffect(() => {
    let live = true;
    void loadMapConfig().then((c) => live && setConfig(c));
    return () => {
      live = false;
    };
  }, []);
  return config;
}
