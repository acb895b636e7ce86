import { type KeyboardEvent, type MouseEvent, useEffect, useMemo, useRef, useState } from 'react';
import type { Geometry, GridFeature, Position } from '../api.ts';
import { aspectOf, bboxOf, fitProjection, labelPoint, pathData, scaleBar } from '../geo.ts';
import { useT } from '../i18n.ts';
import { TileLayer } from './TileLayer.tsx';

/** A point drawn on the map: an open event, a report waiting to be sent, where I am, a chosen place. */
export interface MapMarker {
  id: string;
  lon: number;
  lat: number;
  kind: 'event' | 'queued' | 'me' | 'pin';
  /** Shown as the marker's tooltip; the page lists the same points in text. */
  title?: string;
}

interface Props {
  features: GridFeature[];
  /** Accessible name of the whole map, e.g. "城东村 网格地图". */
  label: string;
  selected: string | null;
  onSelect?: (code: string) => void;
  markers?: readonly MapMarker[];
  /** A walked path ([lon, lat] points), drawn as a line. */
  track?: readonly Position[];
  /**
   * Makes the map a place picker: a tap gives its longitude and latitude; Enter on a focused grid
   * gives that grid's centre (keyboard users).
   */
  onPick?: (lon: number, lat: number) => void;
}

/** Room around the shapes for the north arrow and the scale bar. */
const PADDING = 28;
const MIN_HEIGHT = 220;
const MAX_HEIGHT = 520;
/** Soft fills that keep ink labels above 7:1 contrast; neighbours differ so borders read clearly. */
const FILLS = ['#f7e6dc', '#e3ebf4', '#e8f0dd', '#f3ead2', '#ece3f1'];

/** True when the browser would show a focus ring (keyboard focus), not after a tap or click. */
function focusVisible(el: Element): boolean {
  try {
    return el.matches(':focus-visible');
  } catch {
    return true;
  }
}

type Drawable = { code: string; name: string; geometry: Geometry };

/** A map pin whose tip is at (0, 0). */
const PIN = 'M0 0 C-2 -6 -9 -10 -9 -17 A9 9 0 1 1 9 -17 C9 -10 2 -6 0 0 Z';

/** Measures an element's content width and follows its changes. */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setWidth(Math.max(200, Math.round(el.clientWidth)));
    update();
    if (typeof ResizeObserver === 'undefined') {
      window.addEventListener('resize', update);
      return () => window.removeEventListener('resize', update);
    }
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, width };
}

/**
 * An SVG drawing of a village's grids from their GeoJSON (over raster tiles only when the deployment
 * configured a tile server). The viewBox equals the
 * drawn size in CSS pixels, so label sizes are real rem values and grow in large-text mode.
 */
export function GridMap({ features, label, selected, onSelect, markers, track, onPick }: Props) {
  const t = useT();
  const { ref, width } = useWidth(360);
  const [focused, setFocused] = useState<string | null>(null);

  const drawables = useMemo<Drawable[]>(
    () =>
      features.flatMap((f) =>
        f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon')
          ? [{ code: f.properties.code, name: f.properties.name, geometry: f.geometry }]
          : [],
      ),
    [features],
  );
  const bbox = useMemo(() => bboxOf(drawables.map((d) => d.geometry)), [drawables]);

  const drawing = useMemo(() => {
    if (!bbox) return null;
    const height = Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, width * aspectOf(bbox))));
    const proj = fitProjection(bbox, width, height, PADDING);
    const shapes = drawables.map((d, i) => {
      const lp = labelPoint(d.geometry);
      return {
        ...d,
        d: pathData(d.geometry, proj),
        fill: FILLS[i % FILLS.length]!,
        centre: lp,
        label: lp ? proj.project(lp) : null,
      };
    });
    return { height, shapes, proj, bar: scaleBar(proj.pxPerMetre, width / 4) };
  }, [bbox, drawables, width]);

  const trackPoints = useMemo(() => {
    if (!drawing || !track || track.length < 2) return null;
    return track
      .map((p) => drawing.proj.project(p))
      .map(([x, y]) => `${Math.round(x * 10) / 10},${Math.round(y * 10) / 10}`)
      .join(' ');
  }, [drawing, track]);

  const onKey = (e: KeyboardEvent<SVGPathElement>, code: string, centre: Position | null) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect?.(code);
      if (onPick && centre) onPick(centre[0]!, centre[1]!);
    }
  };

  // A tap anywhere on the drawing: from screen pixels (the SVG may be scaled) to lon/lat.
  const onSvgClick = (e: MouseEvent<SVGSVGElement>) => {
    if (!onPick || !drawing) return;
    const rect = e.currentTarget.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const x = ((e.clientX - rect.left) * width) / rect.width;
    const y = ((e.clientY - rect.top) * drawing.height) / rect.height;
    const [lon, lat] = drawing.proj.unproject(x, y);
    onPick(Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6);
  };

  const highlight = drawing?.shapes.filter((s) => s.code === selected || s.code === focused) ?? [];
  const barText = drawing?.bar
    ? drawing.bar.metres >= 1000
      ? t('map.km', { n: drawing.bar.metres / 1000 })
      : t('map.metres', { n: drawing.bar.metres })
    : '';

  return (
    <div ref={ref} className="grid-map">
      {drawing ? (
        // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard users pick a place with Enter on a grid shape (onKey).
        <svg
          viewBox={`0 0 ${width} ${drawing.height}`}
          width={width}
          height={drawing.height}
          className={onPick ? 'grid-map-svg is-picker' : 'grid-map-svg'}
          onClick={onPick ? onSvgClick : undefined}
        >
          <title>{label}</title>
          <desc>{t('map.desc')}</desc>
          <TileLayer proj={drawing.proj} />
          {drawing.shapes.map((s) => (
            // biome-ignore lint/a11y/useSemanticElements: an SVG shape cannot be a <button>; it gets the role, focus and keys.
            <path
              key={s.code}
              d={s.d}
              fill={s.fill}
              className={s.code === selected ? 'grid-shape is-selected' : 'grid-shape'}
              tabIndex={0}
              role="button"
              aria-pressed={s.code === selected}
              onClick={() => onSelect?.(s.code)}
              onKeyDown={(e) => onKey(e, s.code, s.centre)}
              onFocus={(e) => setFocused(focusVisible(e.currentTarget) ? s.code : null)}
              onBlur={() => setFocused((f) => (f === s.code ? null : f))}
            >
              <title>{s.name}</title>
            </path>
          ))}
          {/* Decoration only: the shapes above carry the names. Outlines are drawn again on top so a
              selected or focused grid's border is never covered by a neighbour. */}
          {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: nothing in this group is focusable. */}
          <g aria-hidden="true" className="map-overlay">
            {highlight.map((s) => (
              <path
                key={`hl-${s.code}`}
                d={s.d}
                className={s.code === focused ? 'grid-outline is-focused' : 'grid-outline'}
              />
            ))}
            {drawing.shapes.map((s) =>
              s.label ? (
                <text
                  key={`label-${s.code}`}
                  x={s.label[0]}
                  y={s.label[1]}
                  className="map-label"
                  textAnchor="middle"
                  dominantBaseline="central"
                >
                  {s.name}
                </text>
              ) : null,
            )}
            {trackPoints ? <polyline points={trackPoints} className="map-track" /> : null}
            {(markers ?? []).map((m) => {
              const [x, y] = drawing.proj.project([m.lon, m.lat]);
              if (x < -20 || y < -20 || x > width + 20 || y > drawing.height + 20) return null;
              const at = `translate(${Math.round(x * 10) / 10} ${Math.round(y * 10) / 10})`;
              return m.kind === 'pin' ? (
                <path key={m.id} d={PIN} transform={at} className="map-pin">
                  {m.title ? <title>{m.title}</title> : null}
                </path>
              ) : (
                <circle
                  key={m.id}
                  r={m.kind === 'me' ? 7 : 6}
                  transform={at}
                  className={`map-marker map-marker-${m.kind}`}
                >
                  {m.title ? <title>{m.title}</title> : null}
                </circle>
              );
            })}
            <g className="map-north" transform={`translate(${width - 14} 18)`}>
              <path d="M0 -12 L6 6 L0 2 L-6 6 Z" />
              <text x="-10" y="0" textAnchor="end" dominantBaseline="middle">
                {t('map.north')}
              </text>
            </g>
            {drawing.bar ? (
              <g className="map-scale" transform={`translate(12 ${drawing.height - 8})`}>
                <path d={`M0 -6 V0 H${drawing.bar.px} V-6`} />
                <text x={drawing.bar.px + 6} y="0">
                  {barText}
                </text>
              </g>
            ) : null}
          </g>
        </svg>
      ) : null}
    </div>
  );
}
