/**
 * Intake through HTTP: the real server (`gongzhi start` as a child process, demo county, fresh
 * database) takes appeals from the operator's hotline channel (`POST /api/cases`, channel `phone`,
 * an `Idempotency-Key` each) over real keep-alive sockets: validate, route to grid and unit, set
 * the deadline, append the event, update rollups, write the outbox, answer the case detail.
 *
 * - PostgreSQL: against `pgbench` insert-only TPS with the same client count, in the same run.
 *   Targets: intake ≥ 30 % of pgbench's TPS; p99 < 100 ms in an open loop at half the maximum.
 * - PGlite: ≥ 500 appeals/s.
 * - Statements per intake, counted in the server process (`lib/count-queries.ts`), BEGIN/COMMIT
 *   and the session lookup included.
 *
 * The operator channel is a staff route without a rate limit (the citizen portal's 20 an hour per
 * citizen is a security control and stays on): the benchmark measures the engine, not the limiter.
 * The worker (deadline sweep, SMS outbox) is left out of the server (`WORKER=0`) so that the
 * statement count is the intake's alone.
 */
import os from 'node:os';
import type { Benchmark, Figure, Ratio } from './lib/bench.ts';
import { cpuDuring } from './lib/cpu.ts';
import { closedLoop, loadWorld, openLoop, sequential, summary } from './lib/load.ts';
import { pgbenchInserts } from './lib/pgbench.ts';
import { request, signIn, startBenchServer } from './lib/server.ts';

interface EngineRun {
  max: ReturnType<typeof summary> & { errors: number; ok: number };
  /** CPU milliseconds per appeal in the closed loop: the server, PostgreSQL, the load generator. */
  cpu: { server?: number | undefined; postgres?: number | undefined; loadGenerator?: number | undefined };
  half: ReturnType<typeof summary> & { errors: number; rate: number; target: number };
  statements: number;
  top: string[];
  rss: number;
}

async function runEngine(
  engine: 'pglite' | 'postgres',
  o: { databaseUrl: string; clients: number; seconds: number; log: (m: string) => void },
): Promise<EngineRun> {
  o.log(`${engine}: starting the server`);
  const s = await startBenchServer({
    engine,
    databaseUrl: o.databaseUrl,
    countQueries: true,
    env: { WORKER: '0', ...(process.env.BENCH_WORKERS ? { WORKERS: process.env.BENCH_WORKERS } : {}) },
  });
  try {
    const headers = await signIn(s.base, 'operator');
    const world = await loadWorld(s.base);
    // Warm-up: JIT, caches, the grid index, the pool's connections.
    await closedLoop(s.base, headers, world, o.clients, Math.min(3, o.seconds));
    // Statements per intake, one at a time so nothing else is counted.
    const before = await s.queries();
    const n = 50;
    await sequential(s.base, headers, world, n);
    const after = await s.queries();
    const statements = (after.total - before.total) / n;
    const top = Object.entries(after.byText)
      .map(([k, v]) => [k, (v - (before.byText[k] ?? 0)) / n] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${v.toFixed(2)}× ${k}`);
    // A retry with a used key answers the first case (200) and makes nothing new.
    const key = `bench-replay-${process.pid}`;
    const body = {
      type: 'appeal',
      channel: 'phone',
      categoryId: world.categories[0],
      description: '重复提交测试',
      lon: world.points[0]![0],
      lat: world.points[0]![1],
    };
    const first = await request(s.base, 'POST', '/api/cases', body, { ...headers, 'idempotency-key': key });
    const again = await request(s.base, 'POST', '/api/cases', body, { ...headers, 'idempotency-key': key });
    if (first.status !== 201 || again.status !== 200)
      throw new Error(`idempotent retry: ${first.status} then ${again.status}`);
    o.log(`${engine}: ${statements.toFixed(1)} statements per intake; closed loop, ${o.clients} clients`);
    const { result: max, ms } = await cpuDuring(
      () => closedLoop(s.base, headers, world, o.clients, o.seconds),
      {
        server: s.pid,
      },
    );
    const m = summary(max);
    const per = (x: number | undefined) => (x === undefined || max.ok === 0 ? undefined : x / max.ok);
    const cpu = {
      server: per(ms.server),
      // PGlite runs inside the server process: a PostgreSQL figure means something only there.
      postgres: engine === 'postgres' ? per(ms.postgres) : undefined,
      loadGenerator: per(ms.loadGenerator),
    };
    const rate = Math.max(1, m.rate / 2);
    o.log(`${engine}: ${m.rate.toFixed(0)}/s max; open loop at ${rate.toFixed(0)}/s`);
    const half = await openLoop(s.base, headers, world, rate, o.seconds);
    const h = summary(half);
    if (max.errors || half.errors)
      o.log(
        `${engine}: ${max.errors + half.errors} failed requests, first: ${max.firstError ?? half.firstError}`,
      );
    return {
      max: { ...m, errors: max.errors, ok: max.ok },
      cpu,
      half: { ...h, errors: half.errors, target: rate },
      statements,
      top,
      rss: s.rssMb(),
    };
  } finally {
    await s.stop();
  }
}

/** Where a closed-loop appeal's CPU went (the reason for the ceiling on a 2-core machine). */
function cpuFigures(tag: string, cpu: EngineRun['cpu']): Figure[] {
  const out: Figure[] = [];
  if (cpu.server !== undefined)
    out.push({
      name: `${tag} server CPU per intake${tag === 'PGlite' ? ' (database included)' : ''}`,
      value: cpu.server,
      unit: 'ms',
      better: 'lower',
    });
  if (cpu.postgres !== undefined)
    out.push({ name: `${tag} PostgreSQL CPU per intake`, value: cpu.postgres, unit: 'ms', better: 'lower' });
  if (cpu.loadGenerator !== undefined)
    out.push({ name: `${tag} load generator CPU per intake`, value: cpu.loadGenerator, unit: 'ms' });
  return out;
}

const bench: Benchmark = {
  name: 'intake',
  description: 'appeals through HTTP on both engines vs pgbench insert-only TPS (same clients, same run)',
  async run({ smoke, args, databaseUrl, log }) {
    const clients = Number(args.clients ?? 8);
    const seconds = Number(args.seconds ?? (smoke ? 3 : 20));
    const engines = (args.engine ?? 'postgres,pglite').split(',') as ('pglite' | 'postgres')[];
    const figures: Figure[] = [];
    const ratios: Ratio[] = [];
    const notes: string[] = [
      `${clients} clients, ${seconds} s per phase; operator channel (POST /api/cases, channel phone, Idempotency-Key), WORKER=0, LOG_LEVEL=info, NODE_ENV=production`,
      `load average at start ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    ];
    for (const engine of engines) {
      let pgb: Awaited<ReturnType<typeof pgbenchInserts>> | undefined;
      if (engine === 'postgres') {
        log(`pgbench -n -c ${clients} -j 2 -T ${seconds} (insert-only)`);
        const measured = await cpuDuring(() => pgbenchInserts(databaseUrl, clients, seconds));
        pgb = measured.result;
        figures.push({ name: 'pgbench insert-only', value: pgb.tps, unit: 'TPS', better: 'higher' });
        if (measured.ms.postgres !== undefined && pgb.tps > 0)
          figures.push({
            name: 'PostgreSQL CPU per pgbench insert',
            value: measured.ms.postgres / (pgb.tps * seconds),
            unit: 'ms',
          });
      }
      const r = await runEngine(engine, { databaseUrl, clients, seconds, log });
      const tag = engine === 'postgres' ? 'PostgreSQL' : 'PGlite';
      figures.push(
        {
          name: `${tag} intake max`,
          value: r.max.rate,
          unit: 'appeals/s',
          better: 'higher',
          ...(engine === 'pglite' ? { target: 500 } : {}),
        },
        { name: `${tag} closed-loop p50`, value: r.max.p50, unit: 'ms', better: 'lower' },
        { name: `${tag} closed-loop p99`, value: r.max.p99, unit: 'ms', better: 'lower' },
        { name: `${tag} open loop at ½ max: rate`, value: r.half.rate, unit: 'appeals/s' },
        { name: `${tag} open loop at ½ max: p50`, value: r.half.p50, unit: 'ms', better: 'lower' },
        {
          name: `${tag} open loop at ½ max: p99`,
          value: r.half.p99,
          unit: 'ms',
          better: 'lower',
          ...(engine === 'postgres' ? { target: 100 } : {}),
        },
        { name: `${tag} statements per intake`, value: r.statements, unit: 'statements', better: 'lower' },
        ...cpuFigures(tag, r.cpu),
        { name: `${tag} server RSS after the load`, value: r.rss, unit: 'MB', better: 'lower' },
      );
      if (pgb)
        ratios.push({
          name: 'intake ÷ pgbench',
          value: r.max.rate / pgb.tps,
          meaning: 'PostgreSQL intake appeals/s ÷ pgbench insert-only TPS, same clients',
          better: 'higher',
          target: 0.3,
        });
      notes.push(
        `${tag}: ${r.max.ok} appeals in the closed loop (${r.max.errors} failed), open loop aimed at ${r.half.target.toFixed(0)}/s (${r.half.errors} failed)`,
        `${tag} statements per intake: ${r.top.join(' | ')}`,
      );
    }
    return { figures, ratios, notes };
  },
};

export default bench;
