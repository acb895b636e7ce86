/**
 * HTTP load for the intake and memory benchmarks: realistic appeal bodies on the demo county's
 * grids and categories, a closed loop (N clients, each sending its next request when the last one
 * is answered: the maximum rate) and an open loop (requests sent on a fixed schedule whatever the
 * answers do; latency counted from the scheduled time, so a stall is not hidden).
 */
import { randomUUID } from 'node:crypto';
import { type GridGeometry, pointInGeometry } from '../../server/modules/grids/geometry.ts';
import { percentile } from './bench.ts';
import { request } from './server.ts';

export interface IntakeWorld {
  categories: string[];
  points: [number, number][];
}

/** Appeal categories and one point inside each of up to `maxGrids` demo grids, read over HTTP. */
export async function loadWorld(base: string, maxVillages = 40): Promise<IntakeWorld> {
  const cats = JSON.parse((await request(base, 'GET', '/api/public/categories?type=appeal')).body) as {
    groups: { children: { code: string }[] }[];
  };
  const categories = cats.groups.flatMap((g) => g.children.map((c) => c.code));
  const regions = JSON.parse((await request(base, 'GET', '/api/public/regions')).body) as {
    townships: { villages: { code: string; gridCount: number }[] }[];
  };
  const villages = regions.townships.flatMap((t) => t.villages).filter((v) => v.gridCount > 0);
  const step = Math.max(1, Math.floor(villages.length / maxVillages));
  const points: [number, number][] = [];
  for (let i = 0; i < villages.length; i += step) {
    const fc = JSON.parse(
      (await request(base, 'GET', `/api/public/grids?village=${villages[i]!.code}`)).body,
    ) as { features: { geometry: GridGeometry }[] };
    for (const f of fc.features) {
      const ring = (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates[0]!)[0]!;
      const lons = ring.map((p) => p[0]!);
      const lats = ring.map((p) => p[1]!);
      const lon = (Math.min(...lons) + Math.max(...lons)) / 2;
      const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
      if (pointInGeometry(lon, lat, f.geometry)) points.push([lon, lat]);
    }
  }
  if (!categories.length || !points.length) throw new Error('demo county has no categories or grids');
  return { categories, points };
}

const WORDS = [
  '小区门口路灯不亮',
  '楼道堆放杂物',
  '排水沟堵塞',
  '夜间施工噪音',
  '占道经营',
  '垃圾清运不及时',
];

/** The n-th appeal an operator takes on the hotline (channel `phone`), with its own key. */
export function appealBody(world: IntakeWorld, n: number): { body: unknown; key: string } {
  const [lon, lat] = world.points[n % world.points.length]!;
  return {
    key: randomUUID(),
    body: {
      type: 'appeal',
      channel: 'phone',
      categoryId: world.categories[(n * 7) % world.categories.length],
      description: `${WORDS[n % WORDS.length]}，已持续多日，请尽快处理。编号 ${n}`,
      lon,
      lat,
      address: `莲塘镇某路 ${n % 300} 号`,
      contactName: '王先生',
      contactPhone: `138${String(10_000_000 + (n % 89_999_999)).slice(-8)}`,
    },
  };
}

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** Latencies in ms of the successful requests. */
  latencies: number[];
}

async function post(
  base: string,
  headers: Record<string, string>,
  world: IntakeWorld,
  n: number,
): Promise<{ ok: boolean; error?: string }> {
  const { body, key } = appealBody(world, n);
  try {
    const r = await request(base, 'POST', '/api/cases', body, { ...headers, 'idempotency-key': key });
    return r.status === 201 ? { ok: true } : { ok: false, error: `${r.status} ${r.body.slice(0, 300)}` };
  } catch (err) {
    return { ok: false, error: String(err) };
  }
}

let counter = 0;

/** `clients` loops, each posting its next appeal as soon as the last is answered, for `seconds`. */
export async function closedLoop(
  base: string,
  headers: Record<string, string>,
  world: IntakeWorld,
  clients: number,
  seconds: number,
): Promise<LoadResult> {
  const r: LoadResult = { sent: 0, ok: 0, errors: 0, seconds, latencies: [] };
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      r.sent++;
      const a = await post(base, headers, world, counter++);
      if (a.ok) {
        r.ok++;
        r.latencies.push(performance.now() - s);
      } else {
        r.errors++;
        r.firstError ??= a.error;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

/** Appeals sent at a fixed `rate` per second for `seconds`; latency from each one's scheduled time. */
export async function openLoop(
  base: string,
  headers: Record<string, string>,
  world: IntakeWorld,
  rate: number,
  seconds: number,
): Promise<LoadResult> {
  const r: LoadResult = { sent: 0, ok: 0, errors: 0, seconds, latencies: [] };
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round(rate * seconds));
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    r.sent++;
    inflight.push(
      post(base, headers, world, counter++).then((a) => {
        if (a.ok) {
          r.ok++;
          r.latencies.push(performance.now() - due);
        } else {
          r.errors++;
          r.firstError ??= a.error;
        }
      }),
    );
  }
  await Promise.all(inflight);
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

/** Posts `n` appeals one after another (statement counts, warm-up); throws on the first failure. */
export async function sequential(
  base: string,
  headers: Record<string, string>,
  world: IntakeWorld,
  n: number,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const a = await post(base, headers, world, counter++);
    if (!a.ok) throw new Error(`intake failed: ${a.error}`);
  }
}

export function summary(r: LoadResult): { rate: number; p50: number; p99: number } {
  return { rate: r.ok / r.seconds, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99) };
}
