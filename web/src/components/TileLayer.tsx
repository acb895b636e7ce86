import { useMemo } from 'react';
import { type Projection, tilesFor } from '../geo.ts';
import { useMapConfig } from '../mapConfig.ts';

/**
 * Raster tiles under a grid drawing, only when the deployment configured a tile server
 * (`MAP_TILE_URL`); otherwise nothing, and the grids' own GeoJSON is the map. Decoration only.
 */
export function TileLayer({ proj }: { proj: Projection }) {
  const { mapTileUrl, mapTileAttribution } = useMapConfig();
  const tiles = useMemo(() => (mapTileUrl ? tilesFor(proj, mapTileUrl) : []), [proj, mapTileUrl]);
  if (tiles.length === 0) return null;
  return (
    // biome-ignore lint/a11y/noAriaHiddenOnFocusable: images and text only; nothing here takes focus.
    <g aria-hidden="true" className="map-tiles">
      {tiles.map((t) => (
        <image
          key={t.href}
          href={t.href}
          x={t.x}
          y={t.y}
          width={t.width}
          height={t.height}
          preserveAspectRatio="none"
        />
      ))}
      {mapTileAttribution ? (
        <text x={proj.width - 4} y={proj.height - 4} textAnchor="end" fontSize={10} fill="#333" opacity={0.8}>
          {mapTileAttribution}
        </text>
      ) : null}
    </g>
  );
}
