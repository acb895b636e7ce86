/**
 * Grid polygons drawn as SVG from their GeoJSON, without map tiles (the server has no internet
 * and neither may the browser): the case detail's small map and the dashboard's township map.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { TileLayer } from '../components/TileLayer.tsx';
import { aspectOf, bboxOf, fitProjection, labelPoint, pathData, scaleBar } from '../geo.ts';
import type { Geometry } from './api.ts';

export interface Shape {
  key: string;
  geometry: Geometry;
  fill: string;
  stroke?: string;
  strokeWidth?: number;
  /** Drawn at the shape's label point. */
  label?: string;
  /** Tooltip (native <title>). */
  title?: string;
}

export interface Pin {
  lon: number;
  lat: number;
  title?: string;
}

function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setWidth(Math.max(160, Math.round(el.clientWidth)));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, width };
}

/** Shapes and pins fitted into the container's width; height follows the shapes' aspect, within bounds. */
export function GridSvg({
  shapes,
  pins = [],
  label,
  minHeight = 160,
  maxHeight = 360,
  labelColor = '#1f2937',
  onSelect,
}: {
  shapes: Shape[];
  pins?: Pin[];
  label: string;
  minHeight?: number;
  maxHeight?: number;
  labelColor?: string;
  onSelect?: (key: string) => void;
}) {
  const { ref, width } = useWidth(320);
  const drawing = useMemo(() => {
    const pinGeoms: Geometry[] = pins.map((p) => ({
      type: 'Polygon',
      coordinates: [
        [
          [p.lon, p.lat],
          [p.lon, p.lat],
          [p.lon, p.lat],
        ],
      ],
    }));
    const bbox = bboxOf([...shapes.map((s) => s.geometry), ...pinGeoms]);
    if (!bbox) return null;
    const height = Math.round(Math.min(maxHeight, Math.max(minHeight, width * aspectOf(bbox))));
    const proj = fitProjection(bbox, width, height, 18);
    return {
      height,
      proj,
      paths: shapes.map((s) => {
        const lp = s.label ? labelPoint(s.geometry) : null;
        return { ...s, d: pathData(s.geometry, proj), at: lp ? proj.project(lp) : null };
      }),
      pins: pins.map((p) => ({ ...p, xy: proj.project([p.lon, p.lat]) })),
      scale: scaleBar(proj.pxPerMetre, Math.min(120, width / 3)),
    };
  }, [shapes, pins, width, minHeight, maxHeight]);

  return (
    <div ref={ref} className="gz-map">
      {drawing && (
        <svg
          role="img"
          aria-label={label}
          viewBox={`0 0 ${width} ${drawing.height}`}
          width={width}
          height={drawing.height}
          style={{ fillRule: 'evenodd' }}
        >
          <TileLayer proj={drawing.proj} />
          {drawing.paths.map((p) => (
            // biome-ignore lint/a11y/noStaticElementInteractions: the map is an aid; every shape is also in a list beside it.
            <path
              key={p.key}
              d={p.d}
              fill={p.fill}
              stroke={p.stroke ?? '#64748b'}
              strokeWidth={p.strokeWidth ?? 1}
              style={onSelect ? { cursor: 'pointer' } : undefined}
              onClick={onSelect ? () => onSelect(p.key) : undefined}
            >
              {p.title && <title>{p.title}</title>}
            </path>
          ))}
          {drawing.paths.map((p) =>
            p.at && p.label ? (
              <text
                key={`l-${p.key}`}
                x={p.at[0]}
                y={p.at[1]}
                textAnchor="middle"
                dominantBaseline="central"
                fontSize={11}
                fill={labelColor}
                style={{ pointerEvents: 'none', paintOrder: 'stroke' }}
                stroke="rgba(255,255,255,.6)"
                strokeWidth={2}
              >
                {p.label}
              </text>
            ) : null,
          )}
          {drawing.pins.map((p) => (
            <g key={`${p.lon},${p.lat}`} transform={`translate(${p.xy[0]} ${p.xy[1]})`}>
              {p.title && <title>{p.title}</title>}
              <circle r={9} fill="rgba(220,38,38,.2)" />
              <path d="M0 0 L-6 -12 A7 7 0 1 1 6 -12 Z" fill="#dc2626" stroke="#fff" strokeWidth={1.5} />
              <circle cx={0} cy={-14} r={2.5} fill="#fff" />
            </g>
          ))}
          {drawing.scale && (
            <g transform={`translate(10 ${drawing.height - 10})`} fontSize={10} fill={labelColor}>
              <line x1={0} x2={drawing.scale.px} y1={0} y2={0} stroke={labelColor} strokeWidth={2} />
              <text x={drawing.scale.px + 4} y={3}>
                {drawing.scale.metres >= 1000
                  ? `${drawing.scale.metres / 1000} km`
                  : `${drawing.scale.metres} m`}
              </text>
            </g>
          )}
          <g transform={`translate(${width - 16} 18)`} fill={labelColor} fontSize={10} textAnchor="middle">
            <path d="M0 -10 L5 4 L0 1 L-5 4 Z" />
            <text y={14}>N</text>
          </g>
        </svg>
      )}
    </div>
  );
}
