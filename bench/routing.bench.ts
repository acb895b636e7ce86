/**
 * Routing: point → grid with the real `GridIndex` (Flatbush R-tree + exact point-in-polygon) at
 * 100,000 grids, against a linear scan over the same grids (bounding box, then point-in-polygon,
 * first hit wins — the index's own rule) in the same run. Both must give the same answer on every
 * sample point. Target (issue #6 part 6): ≤ 10 µs median per lookup at 100,000 grids.
 */

import {
  type BBox,
  bboxOf,
  type GridGeometry,
  GridIndex,
  pointInGeometry,
} from '../server/modules/grids/geometry.ts';
import { type Benchmark, percentile } from './lib/bench.ts';

/** Deterministic PRNG (mulberry32), so every run routes the same points over the same grids. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Grid {
  id: string;
  geometry: GridGeometry;
}

/**
 * A jittered lattice of `n` non-overlapping grids over the demo county's area. Neighbouring cells
 * share their jittered corners and edge midpoints (8-vertex rings), so the tiling has no gaps or
 * overlaps. Every 40th cell has a hole; the hole is filled by an island that belongs to the next
 * cell, which thereby becomes a MultiPolygon.
 */
export function latticeGrids(n: number, seed = 6): { grids: Grid[]; extent: BBox } {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const [lon0, lat0] = [115.7, 28.3];
  const step = 0.6 / cols; // ~0.6° square, the size of Nanchang County
  const r = rng(seed);
  const j = () => (r() - 0.5) * step * 0.4;
  // Shared corner points and edge midpoints: corner (i, k) for i ≤ cols, k ≤ rows.
  const corner: [number, number][] = [];
  for (let k = 0; k <= rows; k++)
    for (let i = 0; i <= cols; i++) {
      const border = i === 0 || k === 0 || i === cols || k === rows;
      corner.push([lon0 + i * step + (border ? 0 : j()), lat0 + k * step + (border ? 0 : j())]);
    }
  const c = (i: number, k: number) => corner[k * (cols + 1) + i]!;
  const mid = new Map<string, [number, number]>();
  const m = (a: [number, number], b: [number, number], key: string): [number, number] => {
    let p = mid.get(key);
    if (!p) {
      p = [(a[0] + b[0]) / 2 + j() * 0.3, (a[1] + b[1]) / 2 + j() * 0.3];
      mid.set(key, p);
    }
    return p;
  };
  const grids: Grid[] = [];
  const islands = new Map<number, number[][][]>();
  for (let idx = 0; idx < n; idx++) {
    const i = idx % cols;
    const k = Math.floor(idx / cols);
    const sw = c(i, k);
    const se = c(i + 1, k);
    const ne = c(i + 1, k + 1);
    const nw = c(i, k + 1);
    const ring = [
      sw,
      m(sw, se, `h${i},${k}`),
      se,
      m(se, ne, `v${i + 1},${k}`),
      ne,
      m(nw, ne, `h${i},${k + 1}`),
      nw,
      m(sw, nw, `v${i},${k}`),
      sw,
    ];
    const rings: number[][][] = [ring];
    if (idx % 40 === 0 && idx + 1 < n) {
      // A hole around the cell's centre, a quarter of the cell wide; the island fills it.
      const cx = (sw[0] + se[0] + ne[0] + nw[0]) / 4;
      const cy = (sw[1] + se[1] + ne[1] + nw[1]) / 4;
      const h = step / 8;
      const square = [
        [cx - h, cy - h],
        [cx + h, cy - h],
        [cx + h, cy + h],
        [cx - h, cy + h],
        [cx - h, cy - h],
      ];
      rings.push([...square].reverse());
      islands.set(idx + 1, [square]);
    }
    const island = islands.get(idx);
    const id = `G${String(idx).padStart(6, '0')}`;
    grids.push({
      id,
      geometry: island
        ? { type: 'MultiPolygon', coordinates: [rings, island] }
        : { type: 'Polygon', coordinates: rings },
    });
  }
  return { grids, extent: [lon0, lat0, lon0 + cols * step, lat0 + rows * step] };
}

/** The baseline: every grid in order, bounding box first, then the exact test. */
class LinearScan {
  private readonly boxes: BBox[];
  constructor(private readonly grids: Grid[]) {
    this.boxes = grids.map((g) => bboxOf(g.geometry));
  }
  locate(lon: number, lat: number): string | null {
    for (let i = 0; i < this.grids.length; i++) {
      const b = this.boxes[i]!;
      if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3]) continue;
      if (pointInGeometry(lon, lat, this.grids[i]!.geometry)) return this.grids[i]!.id;
    }
    return null;
  }
}

/** Times each lookup on its own (ns), after a warm-up pass over the same points. */
function timeEach(
  points: Float64Array,
  locate: (lon: number, lat: number) => string | null,
): {
  ns: number[];
  answers: (string | null)[];
} {
  const count = points.length / 2;
  for (let i = 0; i < Math.min(count, 2000); i++) locate(points[2 * i]!, points[2 * i + 1]!);
  const ns: number[] = new Array(count);
  const answers: (string | null)[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    answers[i] = locate(points[2 * i]!, points[2 * i + 1]!);
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  return { ns, answers };
}

const bench: Benchmark = {
  name: 'routing',
  description: 'point → grid with GridIndex at 100,000 grids vs a linear scan over the same grids',
  async run({ smoke, args, log }) {
    const n = Number(args.grids ?? (smoke ? 10_000 : 100_000));
    const samples = Number(args.points ?? (smoke ? 1_000 : 20_000));
    const scanSamples = Math.min(samples, Number(args['scan-points'] ?? (smoke ? 300 : 2_000)));
    log(`generating ${n} grids`);
    const { grids, extent } = latticeGrids(n);
    const t0 = performance.now();
    const index = new GridIndex(grids);
    const buildMs = performance.now() - t0;
    const scan = new LinearScan(grids);
    // Points over the lattice and a 5 % margin around it (some fall outside every grid), plus the
    // centre of every tenth island so that holes and multipolygons are exercised.
    const r = rng(42);
    const [w, s, e, nn] = extent;
    const pad = (e - w) * 0.05;
    const points = new Float64Array(samples * 2);
    for (let i = 0; i < samples; i++) {
      points[2 * i] = w - pad + r() * (e - w + 2 * pad);
      points[2 * i + 1] = s - pad + r() * (nn - s + 2 * pad);
    }
    const multis = grids.filter((g) => g.geometry.type === 'MultiPolygon');
    for (let i = 0, k = 0; i < multis.length && k < samples; i += 10, k += 7) {
      const island = (multis[i]!.geometry.coordinates as number[][][][])[1]![0]!;
      points[2 * k] = (island[0]![0]! + island[2]![0]!) / 2;
      points[2 * k + 1] = (island[0]![1]! + island[2]![1]!) / 2;
    }
    log(`index built in ${buildMs.toFixed(0)} ms; ${samples} lookups through the index`);
    const idx = timeEach(points, (lon, lat) => index.locate(lon, lat));
    log(`${scanSamples} lookups through the linear scan`);
    const lin = timeEach(points.subarray(0, scanSamples * 2), (lon, lat) => scan.locate(lon, lat));
    // The answers must agree on every point both routed.
    let mismatches = 0;
    for (let i = 0; i < scanSamples; i++) if (idx.answers[i] !== lin.answers[i]) mismatches++;
    if (mismatches) throw new Error(`GridIndex and the linear scan disagree on ${mismatches} points`);
    const outside = idx.answers.filter((a) => a === null).length;
    const idxMedian = percentile(idx.ns, 50) / 1000;
    const linMedian = percentile(lin.ns, 50) / 1000;
    return {
      figures: [
        { name: 'GridIndex median', value: idxMedian, unit: 'µs', better: 'lower', target: 10 },
        { name: 'GridIndex p99', value: percentile(idx.ns, 99) / 1000, unit: 'µs', better: 'lower' },
        { name: 'linear scan median', value: linMedian, unit: 'µs', better: 'lower' },
        { name: 'linear scan p99', value: percentile(lin.ns, 99) / 1000, unit: 'µs', better: 'lower' },
        { name: 'index build', value: buildMs, unit: 'ms', better: 'lower' },
      ],
      ratios: [
        {
          name: 'scan ÷ index',
          value: linMedian / idxMedian,
          meaning: 'median linear-scan lookup ÷ median GridIndex lookup',
          better: 'higher',
        },
      ],
      notes: [
        `${n} grids (jittered lattice, 8-vertex rings, ${multis.length} MultiPolygons each filling another grid's hole)`,
        `${samples} points through the index (${outside} outside every grid), the first ${scanSamples} also through the scan: identical answers on all of them`,
      ],
    };
  },
};

export default bench;
