/**
 * Pure GeoJSON helpers for grid polygons: validation, bounding boxes, point-in-polygon, areas,
 * centroids and a point → grid index. Coordinates are WGS84 longitude/latitude in degrees
 * (RFC 7946); nothing here touches a database.
 */
import Flatbush from 'flatbush';

/** A GeoJSON position: [longitude, latitude] (extra members such as altitude are ignored). */
export type Position = number[];
/** A GeoJSON Polygon: the first ring is the exterior, the others are holes. */
export interface Polygon {
  type: 'Polygon';
  coordinates: Position[][];
}
/** A GeoJSON MultiPolygon. */
export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}
/** The two geometry types a grid may have. */
export type GridGeometry = Polygon | MultiPolygon;
/** [minLon, minLat, maxLon, maxLat]. */
export type BBox = [number, number, number, number];

/** Result of {@link validateGeometry}: the geometry narrowed to its type, or a reason in Chinese. */
export type GeometryValidation =
  | { ok: true; geometry: Polygon | MultiPolygon }
  | { ok: false; reason: string };

/** Mean Earth radius used by the area formula (metres), as in GeoJSON tooling (turf, d3). */
export const EARTH_RADIUS_M = 6_371_008.8;

/**
 * Checks that `g` is a well-formed Polygon or MultiPolygon: numeric positions in range, closed rings
 * of at least 4 points, and no ring crossing or touching itself. Holes are not checked for lying
 * inside their exterior ring, nor polygons of a MultiPolygon for overlapping each other.
 */
export function validateGeometry(g: unknown): GeometryValidation {
  if (typeof g !== 'object' || g === null || Array.isArray(g)) {
    return { ok: false, reason: '几何对象必须是 GeoJSON 对象' };
  }
  const { type, coordinates } = g as { type?: unknown; coordinates?: unknown };
  if (type !== 'Polygon' && type !== 'MultiPolygon') {
    return { ok: false, reason: '几何类型必须是 Polygon 或 MultiPolygon' };
  }
  if (!Array.isArray(coordinates)) return { ok: false, reason: '缺少坐标数组 coordinates' };
  const polygons: unknown[] = type === 'Polygon' ? [coordinates] : coordinates;
  if (polygons.length === 0) return { ok: false, reason: 'MultiPolygon 至少需要一个多边形' };
  for (let p = 0; p < polygons.length; p++) {
    const rings = polygons[p];
    const where = (r: number) =>
      type === 'Polygon' ? `第 ${r + 1} 个环` : `第 ${p + 1} 个多边形第 ${r + 1} 个环`;
    if (!Array.isArray(rings)) return { ok: false, reason: `坐标结构错误（第 ${p + 1} 个多边形）` };
    if (rings.length === 0) return { ok: false, reason: `多边形至少需要一个外环（第 ${p + 1} 个多边形）` };
    for (let r = 0; r < rings.length; r++) {
      const reason = checkRing(rings[r]);
      if (reason) return { ok: false, reason: `${reason}（${where(r)}）` };
    }
  }
  return { ok: true, geometry: g as Polygon | MultiPolygon };
}

function checkRing(ring: unknown): string | null {
  if (!Array.isArray(ring)) return '坐标结构错误';
  for (const pos of ring) {
    if (!Array.isArray(pos) || pos.length < 2) return '坐标必须是 [经度, 纬度] 数组';
    const [lon, lat] = pos as unknown[];
    if (
      typeof lon !== 'number' ||
      typeof lat !== 'number' ||
      !Number.isFinite(lon) ||
      !Number.isFinite(lat)
    ) {
      return '坐标必须是数字';
    }
    if (lon < -180 || lon > 180) return '经度超出范围';
    if (lat < -90 || lat > 90) return '纬度超出范围';
  }
  const pts = ring as Position[];
  if (pts.length < 4) return '坐标环至少需要 4 个点';
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) return '坐标环未闭合';
  // Repeated consecutive points are legal GeoJSON; drop them before looking at the shape.
  const simple: Position[] = [first];
  for (let i = 1; i < pts.length; i++) {
    const prev = simple[simple.length - 1]!;
    const cur = pts[i]!;
    if (cur[0] !== prev[0] || cur[1] !== prev[1]) simple.push(cur);
  }
  if (simple.length < 4) return '坐标环退化（不足 3 个不同的点）';
  if (ringSelfIntersects(simple)) return '多边形自相交';
  return null;
}

function orient(a: Position, b: Position, c: Position): number {
  const v = (b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(a: Position, b: Position, p: Position): boolean {
  return (
    Math.min(a[0]!, b[0]!) <= p[0]! &&
    p[0]! <= Math.max(a[0]!, b[0]!) &&
    Math.min(a[1]!, b[1]!) <= p[1]! &&
    p[1]! <= Math.max(a[1]!, b[1]!)
  );
}

/** Closed-segment intersection test (touching counts). */
function segmentsIntersect(a: Position, b: Position, c: Position, d: Position): boolean {
  const o1 = orient(a, b, c);
  const o2 = orient(a, b, d);
  const o3 = orient(c, d, a);
  const o4 = orient(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  if (o1 === 0 && onSegment(a, b, c)) return true;
  if (o2 === 0 && onSegment(a, b, d)) return true;
  if (o3 === 0 && onSegment(c, d, a)) return true;
  if (o4 === 0 && onSegment(c, d, b)) return true;
  return false;
}

/**
 * True when two edges of a closed ring (without repeated consecutive points) cross or touch, other
 * than neighbouring edges sharing their common vertex. Edges are swept in order of their minimum
 * longitude, so typical rings cost O(n log n) and the worst case is the plain O(n²) comparison.
 */
export function ringSelfIntersects(ring: Position[]): boolean {
  const n = ring.length - 1; // number of edges; edge i runs from ring[i] to ring[i + 1]
  const order = Array.from({ length: n }, (_, i) => i);
  const minX = (i: number) => Math.min(ring[i]![0]!, ring[i + 1]![0]!);
  const maxX = (i: number) => Math.max(ring[i]![0]!, ring[i + 1]![0]!);
  order.sort((i, j) => minX(i) - minX(j));
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    const iMax = maxX(i);
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (minX(j) > iMax) break;
      const a = ring[i]!;
      const b = ring[i + 1]!;
      const c = ring[j]!;
      const d = ring[j + 1]!;
      const adjacent = Math.abs(i - j) === 1 || Math.abs(i - j) === n - 1;
      if (adjacent) {
        if (n === 3) continue; // a triangle's edges all share vertices
        // Neighbours share one vertex; they are bad only if they fold back over each other.
        const [p, shared, q] = j === i + 1 || (i === n - 1 && j === 0) ? [a, b, d] : [b, a, c];
        if (
          orient(p, shared, q) === 0 &&
          (q[0]! - shared[0]!) * (p[0]! - shared[0]!) + (q[1]! - shared[1]!) * (p[1]! - shared[1]!) > 0
        ) {
          return true;
        }
        continue;
      }
      if (segmentsIntersect(a, b, c, d)) return true;
    }
  }
  return false;
}

function polygonsOf(g: GridGeometry): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

/** Bounding box of a Polygon or MultiPolygon. */
export function bboxOf(g: GridGeometry): BBox {
  let minLon = Number.POSITIVE_INFINITY;
  let minLat = Number.POSITIVE_INFINITY;
  let maxLon = Number.NEGATIVE_INFINITY;
  let maxLat = Number.NEGATIVE_INFINITY;
  for (const poly of polygonsOf(g)) {
    // Holes lie inside the exterior ring, so the exterior decides the box.
    for (const [lon, lat] of poly[0] ?? []) {
      if (lon! < minLon) minLon = lon!;
      if (lon! > maxLon) maxLon = lon!;
      if (lat! < minLat) minLat = lat!;
      if (lat! > maxLat) maxLat = lat!;
    }
  }
  return [minLon, minLat, maxLon, maxLat];
}

/**
 * Even–odd ray casting. A point on a left or bottom edge counts as inside, on a right or top edge as
 * outside, so rectangles that tile a region claim every interior point exactly once.
 */
function pointInRing(lon: number, lat: number, ring: Position[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i]![0]!;
    const yi = ring[i]![1]!;
    const xj = ring[j]![0]!;
    const yj = ring[j]![1]!;
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether (lon, lat) lies in the geometry: inside an exterior ring and outside that polygon's holes. */
export function pointInGeometry(lon: number, lat: number, g: GridGeometry): boolean {
  for (const poly of polygonsOf(g)) {
    const outer = poly[0];
    if (!outer || !pointInRing(lon, lat, outer)) continue;
    let inHole = false;
    for (let h = 1; h < poly.length; h++) {
      if (pointInRing(lon, lat, poly[h]!)) {
        inHole = true;
        break;
      }
    }
    if (!inHole) return true;
  }
  return false;
}

/** Signed planar (shoelace) area of a ring in square degrees; positive when counter-clockwise. */
export function ringAreaDeg2(ring: Position[]): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    sum += (ring[j]![0]! - ring[i]![0]!) * (ring[j]![1]! + ring[i]![1]!);
  }
  return sum / 2;
}

const RAD = Math.PI / 180;

/**
 * Absolute area of a ring on the sphere in m² (the formula of turf/d3 "ring area", after Chamberlain
 * & Duquette). Exact for rectangles bounded by meridians and parallels, so tiles add up exactly.
 */
export function ringAreaM2(ring: Position[]): number {
  const n = ring.length;
  if (n < 3) return 0;
  let total = 0;
  for (let i = 0; i < n - 1; i++) {
    const p1 = ring[i]!;
    const p2 = ring[i + 1]!;
    total += (p2[0]! - p1[0]!) * RAD * (Math.sin(p1[1]! * RAD) + Math.sin(p2[1]! * RAD));
  }
  return Math.abs((total * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2);
}

/** Approximate spherical area of a Polygon or MultiPolygon in m² (holes subtracted). */
export function geometryAreaM2(g: GridGeometry): number {
  let area = 0;
  for (const poly of polygonsOf(g)) {
    poly.forEach((ring, i) => {
      area += i === 0 ? ringAreaM2(ring) : -ringAreaM2(ring);
    });
  }
  return area;
}

/** Planar area of a Polygon or MultiPolygon in square degrees (holes subtracted). */
export function geometryAreaDeg2(g: GridGeometry): number {
  let area = 0;
  for (const poly of polygonsOf(g)) {
    poly.forEach((ring, i) => {
      area += i === 0 ? Math.abs(ringAreaDeg2(ring)) : -Math.abs(ringAreaDeg2(ring));
    });
  }
  return area;
}

/**
 * Area-weighted planar centroid [lon, lat]. For degenerate (zero-area) input it falls back to the
 * mean of the exterior vertices. The centroid of a concave shape may lie outside it.
 */
export function centroidOf(g: GridGeometry): [number, number] {
  let a = 0;
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  let count = 0;
  for (const poly of polygonsOf(g)) {
    poly.forEach((ring, r) => {
      // Orient exteriors positive and holes negative whatever their winding in the file.
      const signed = ringAreaDeg2(ring);
      const sign = (r === 0 ? 1 : -1) * (signed >= 0 ? 1 : -1);
      // Shift to the first vertex to keep the cross products small and precise.
      const ox = ring[0]?.[0] ?? 0;
      const oy = ring[0]?.[1] ?? 0;
      for (let i = 0; i < ring.length - 1; i++) {
        const x0 = ring[i]![0]! - ox;
        const y0 = ring[i]![1]! - oy;
        const x1 = ring[i + 1]![0]! - ox;
        const y1 = ring[i + 1]![1]! - oy;
        const cross = (x0 * y1 - x1 * y0) * sign;
        a += cross / 2;
        cx += ((x0 + x1 + 3 * ox) * cross) / 6;
        cy += ((y0 + y1 + 3 * oy) * cross) / 6;
        if (r === 0) {
          sx += ring[i]![0]!;
          sy += ring[i]![1]!;
          count++;
        }
      }
    });
  }
  if (Math.abs(a) < 1e-18) return count ? [sx / count, sy / count] : [Number.NaN, Number.NaN];
  return [cx / a, cy / a];
}

/**
 * Point → grid lookup: a Flatbush R-tree over the grids' bounding boxes narrows the candidates,
 * an exact point-in-polygon test decides. Where grids overlap, the one given first wins.
 */
export class GridIndex {
  private readonly ids: string[];
  private readonly geometries: GridGeometry[];
  private readonly tree: Flatbush | null;

  constructor(items: readonly { id: string; geometry: GridGeometry }[]) {
    this.ids = items.map((i) => i.id);
    this.geometries = items.map((i) => i.geometry);
    // Flatbush refuses an empty index.
    if (items.length === 0) {
      this.tree = null;
      return;
    }
    const tree = new Flatbush(items.length);
    for (const item of items) {
      const [minLon, minLat, maxLon, maxLat] = bboxOf(item.geometry);
      tree.add(minLon, minLat, maxLon, maxLat);
    }
    tree.finish();
    this.tree = tree;
  }

  /** Number of grids in the index. */
  get size(): number {
    return this.ids.length;
  }

  /** Id of the grid containing the point, or null when none does. */
  locate(lon: number, lat: number): string | null {
    if (!this.tree || !Number.isFinite(lon) || !Number.isFinite(lat)) return null;
    // The lowest-numbered containing grid, without building and sorting a list (this is on
    // every intake with a position; see bench/routing.bench.ts).
    let best = -1;
    for (const i of this.tree.search(lon, lat, lon, lat)) {
      if ((best === -1 || i < best) && pointInGeometry(lon, lat, this.geometries[i]!)) best = i;
    }
    return best === -1 ? null : this.ids[best]!;
  }

  /** Ids of every grid containing the point (more than one only where grids overlap). */
  locateAll(lon: number, lat: number): string[] {
    return this.candidates(lon, lat).map((i) => this.ids[i]!);
  }

  private candidates(lon: number, lat: number): number[] {
    if (!this.tree || !Number.isFinite(lon) || !Number.isFinite(lat)) return [];
    return this.tree
      .search(lon, lat, lon, lat)
      .filter((i) => pointInGeometry(lon, lat, this.geometries[i]!))
      .sort((x, y) => x - y);
  }
}
