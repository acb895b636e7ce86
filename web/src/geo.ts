/**
 * Drawing grid polygons without map tiles: an equirectangular projection scaled by cos(latitude),
 * which is accurate enough at village scale (a few kilometres), fitted into an SVG box.
 */
import type { Geometry, Position } from './api.ts';

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/** Metres per degree of latitude (and of longitude at the equator), WGS 84 mean. */
const METRES_PER_DEGREE = 111_320;

function rings(geometry: Geometry): Position[][] {
  return geometry.type === 'Polygon' ? geometry.coordinates : geometry.coordinates.flat();
}

function isPoint(p: Position): boolean {
  return p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

/** The bounding box of all geometries, or null when there is no coordinate. */
export function bboxOf(geometries: Iterable<Geometry>): BBox | null {
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const g of geometries) {
    for (const ring of rings(g)) {
      for (const p of ring) {
        if (!isPoint(p)) continue;
        const lon = p[0]!;
        const lat = p[1]!;
        if (lon < minLon) minLon = lon;
        if (lon > maxLon) maxLon = lon;
        if (lat < minLat) minLat = lat;
        if (lat > maxLat) maxLat = lat;
      }
    }
  }
  return minLon <= maxLon ? { minLon, minLat, maxLon, maxLat } : null;
}

/** A projection fitted to a box of `width` × `height` pixels. */
export interface Projection {
  project(p: Position): [number, number];
  /** The inverse: screen pixels back to [lon, lat] (a tap on the map). */
  unproject(x: number, y: number): [number, number];
  /** Screen pixels per metre on the ground. */
  pxPerMetre: number;
  width: number;
  height: number;
}

/**
 * The aspect ratio (height ÷ width) of the bbox once longitudes are shrunk by cos(mid-latitude);
 * used to choose the SVG's height for a given width.
 */
export function aspectOf(bbox: BBox): number {
  const k = Math.cos(((bbox.minLat + bbox.maxLat) / 2) * (Math.PI / 180));
  const w = (bbox.maxLon - bbox.minLon) * k;
  const h = bbox.maxLat - bbox.minLat;
  if (w <= 0 && h <= 0) return 1;
  if (w <= 0) return 4;
  return h / w;
}

/** Fits `bbox` into `width` × `height` with `padding` pixels on each side, centred, north up. */
export function fitProjection(bbox: BBox, width: number, height: number, padding: number): Projection {
  const k = Math.cos(((bbox.minLat + bbox.maxLat) / 2) * (Math.PI / 180));
  const spanX = (bbox.maxLon - bbox.minLon) * k;
  const spanY = bbox.maxLat - bbox.minLat;
  const innerW = Math.max(1, width - 2 * padding);
  const innerH = Math.max(1, height - 2 * padding);
  // A degenerate box (a single point) still gets a finite scale: one "degree" spans the box.
  const scale = Math.min(spanX > 0 ? innerW / spanX : Infinity, spanY > 0 ? innerH / spanY : Infinity);
  const s = Number.isFinite(scale) ? scale : Math.min(innerW, innerH);
  const offsetX = padding + (innerW - spanX * s) / 2;
  const offsetY = padding + (innerH - spanY * s) / 2;
  return {
    project(p) {
      const x = offsetX + ((p[0] ?? 0) - bbox.minLon) * k * s;
      const y = offsetY + (bbox.maxLat - (p[1] ?? 0)) * s;
      return [x, y];
    },
    unproject(x, y) {
      return [bbox.minLon + (x - offsetX) / (k * s), bbox.maxLat - (y - offsetY) / s];
    },
    pxPerMetre: s / METRES_PER_DEGREE,
    width,
    height,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** SVG path data for a Polygon or MultiPolygon; holes rely on `fill-rule: evenodd`. */
export function pathData(geometry: Geometry, projection: Projection): string {
  const parts: string[] = [];
  for (const ring of rings(geometry)) {
    const pts = ring.filter(isPoint).map((p) => projection.project(p));
    if (pts.length < 3) continue;
    parts.push(`M${pts.map(([x, y]) => `${round(x)} ${round(y)}`).join('L')}Z`);
  }
  return parts.join('');
}

/** Signed area and centroid of one ring (shoelace formula), in the ring's own coordinates. */
function ringCentroid(ring: Position[]): { area: number; x: number; y: number } {
  let a = 0;
  let cx = 0;
  let cy = 0;
  const pts = ring.filter(isPoint);
  // Relative to the first point: with raw longitudes (~116°) the cross products cancel badly.
  const ox = pts[0]?.[0] ?? 0;
  const oy = pts[0]?.[1] ?? 0;
  for (let i = 0; i < pts.length; i++) {
    const p0 = pts[i]!;
    const p1 = pts[(i + 1) % pts.length]!;
    const x0 = p0[0]! - ox;
    const y0 = p0[1]! - oy;
    const x1 = p1[0]! - ox;
    const y1 = p1[1]! - oy;
    const cross = x0 * y1 - x1 * y0;
    a += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  a /= 2;
  if (a === 0) {
    // Degenerate ring: fall back to the mean of its points.
    const n = pts.length || 1;
    return { area: 0, x: pts.reduce((s, p) => s + p[0]!, 0) / n, y: pts.reduce((s, p) => s + p[1]!, 0) / n };
  }
  return { area: Math.abs(a), x: ox + cx / (6 * a), y: oy + cy / (6 * a) };
}

/** Where to put a grid's label: the centroid of its largest outer ring, in lon/lat. */
export function labelPoint(geometry: Geometry): Position | null {
  const outers =
    geometry.type === 'Polygon' ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
  let best: { area: number; x: number; y: number } | null = null;
  for (const ring of outers) {
    if (!ring || ring.length < 3) continue;
    const c = ringCentroid(ring);
    if (!best || c.area > best.area) best = c;
  }
  return best ? [best.x, best.y] : null;
}

/** A scale bar of a round length (1, 2 or 5 × 10^n metres) no longer than `maxPx` pixels. */
export function scaleBar(pxPerMetre: number, maxPx: number): { metres: number; px: number } | null {
  if (!(pxPerMetre > 0) || !(maxPx > 0)) return null;
  const maxMetres = maxPx / pxPerMetre;
  const pow = 10 ** Math.floor(Math.log10(maxMetres));
  const metres = [5, 2, 1].map((m) => m * pow).find((m) => m <= maxMetres) ?? pow;
  return { metres, px: metres * pxPerMetre };
}

export { distanceMetres, pathLength } from '../../common/distance.ts';

/** Whether [lon, lat] lies inside a Polygon or MultiPolygon (even-odd rule, holes included). */
export function containsPoint(geometry: Geometry, p: Position): boolean {
  const x = p[0] ?? Number.NaN;
  const y = p[1] ?? Number.NaN;
  let inside = false;
  for (const ring of rings(geometry)) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const xi = ring[i]![0]!;
      const yi = ring[i]![1]!;
      const xj = ring[j]![0]!;
      const yj = ring[j]![1]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** A raster map tile placed in a drawing's pixel space. */
export interface Tile {
  href: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const DEG = Math.PI / 180;

/**
 * The Web Mercator tiles (`{z}/{x}/{y}` template) that cover a drawing, at the zoom where a tile is
 * about 256 px wide, each placed through the drawing's projection (at village and county scale the
 * drawing's local projection and Mercator differ by well under a pixel per tile).
 */
export function tilesFor(proj: Projection, template: string, maxTiles = 36): Tile[] {
  const [west, north] = proj.unproject(0, 0);
  const [east, south] = proj.unproject(proj.width, proj.height);
  if (![west, north, east, south].every(Number.isFinite) || east <= west || north <= south) return [];
  const clampLat = (lat: number) => Math.max(-85.0511, Math.min(85.0511, lat));
  const tx = (lon: number, n: number) => ((lon + 180) / 360) * n;
  const ty = (lat: number, n: number) => ((1 - Math.asinh(Math.tan(clampLat(lat) * DEG)) / Math.PI) / 2) * n;
  let z = Math.round(Math.log2(((proj.width / 256) * 360) / (east - west)));
  z = Math.max(1, Math.min(19, z));
  for (; z > 1; z--) {
    const n = 2 ** z;
    const cols = Math.floor(tx(east, n)) - Math.floor(tx(west, n)) + 1;
    const rows = Math.floor(ty(south, n)) - Math.floor(ty(north, n)) + 1;
    if (cols * rows <= maxTiles) break;
  }
  const n = 2 ** z;
  const lonOf = (x: number) => (x / n) * 360 - 180;
  const latOf = (y: number) => Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) / DEG;
  const tiles: Tile[] = [];
  for (let x = Math.floor(tx(west, n)); x <= Math.floor(tx(east, n)); x++) {
    for (let y = Math.floor(ty(north, n)); y <= Math.floor(ty(south, n)); y++) {
      const [x0, y0] = proj.project([lonOf(x), latOf(y)]);
      const [x1, y1] = proj.project([lonOf(x + 1), latOf(y + 1)]);
      const href = template
        .replace('{z}', String(z))
        .replace('{x}', String(((x % n) + n) % n))
        .replace('{y}', String(y));
      tiles.push({ href, x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
    }
  }
  return tiles;
}
