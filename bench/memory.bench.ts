/**
 * Memory: resident set size (VmRSS from /proc) of the real server (`gongzhi start`, a child
 * process) with the demo county, idle, on PGlite — target ≤ 400 MB (issue #6 part 8) — and under
 * sustained intake on both engines (peak while it runs, and after it). Baseline in the same run: a
 * bare `node -e` process holding an http server. The first start also creates the database and
 * plays the demo history; a restart on the same data is what a county runs day to day, so both
 * are reported.
 *
 * Idle is the RSS after `--idle=S` seconds without work (default 90; smoke 2), sampled every
 * second; the figure 10 s in is printed beside it. After the first start's history V8 keeps its
 * grown heap until its memory reducer notices the process is idle — about 50 s later on the AMD
 * machine (421 → 376 MB, heap 99 → 54 MB; PGlite's WASM memory stayed at 140 MB throughout) — so
 * a reading 10 s in measures the history just played, not the idle server.
 */
import { spawn } from 'node:child_process';
import type { Benchmark, Figure } from './lib/bench.ts';
import { closedLoop, loadWorld } from './lib/load.ts';
import { rssOf, signIn, startBenchServer } from './lib/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bareNodeRss(): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => console.log('up'))",
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  await sleep(1000);
  const rss = rssOf(child.pid!);
  child.kill('SIGTERM');
  return rss;
}

/**
 * RSS sampled every second for `ms`: the reading `earlyS` in, the last one, and from which second
 * on every reading stayed within 5 MB of the last (when the process had settled).
 */
async function idleRss(
  rss: () => number,
  ms: number,
  earlyS: number,
): Promise<{ early: number; last: number; settledAfterS: number }> {
  const t0 = Date.now();
  const samples: { s: number; mb: number }[] = [];
  for (;;) {
    await sleep(1000);
    samples.push({ s: (Date.now() - t0) / 1000, mb: rss() });
    if (Date.now() - t0 >= ms) break;
  }
  const last = samples.at(-1)!.mb;
  const early = (samples.find((x) => x.s >= earlyS) ?? samples.at(-1)!).mb;
  let settled = samples.length - 1;
  while (settled > 0 && Math.abs(samples[settled - 1]!.mb - last) <= 5) settled--;
  return { early, last, settledAfterS: Math.round(samples[settled]!.s) };
}

/** Samples RSS every 200 ms while `work` runs; returns the peak. */
async function peakDuring(pid: number, work: Promise<unknown>): Promise<number> {
  let peak = rssOf(pid);
  let done = false;
  void work.finally(() => {
    done = true;
  });
  while (!done) {
    await sleep(200);
    peak = Math.max(peak, rssOf(pid));
  }
  await work;
  return peak;
}

const bench: Benchmark = {
  name: 'memory',
  description: 'server RSS idle (PGlite, demo county) and under sustained intake (both engines) vs bare node',
  async run({ smoke, args, databaseUrl, log }) {
    const seconds = Number(args.seconds ?? (smoke ? 3 : 30));
    const demoCases = Number(args['demo-cases'] ?? (smoke ? 0 : 3000));
    const idleMs = Number(args.idle ?? (smoke ? 2 : 90)) * 1000;
    // The early reading (and the one after intake): 10 s in, or the whole idle time when shorter.
    const earlyS = Math.min(10, idleMs / 1000);
    const afterMs = earlyS * 1000;
    const engines = (args.engine ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
    const figures: Figure[] = [];
    const notes: string[] = [
      `demo county with DEMO_CASES=${demoCases} history; idle = ${idleMs / 1000} s after ready (and after the history), "after intake" ${afterMs / 1000} s after it; sustained intake = 8 clients for ${seconds} s`,
    ];
    const bare = await bareNodeRss();
    figures.push({ name: 'bare node http server', value: bare, unit: 'MB', better: 'lower' });
    let idleFirst = Number.NaN;
    let restarted = Number.NaN;
    for (const engine of engines) {
      const tag = engine === 'postgres' ? 'PostgreSQL' : 'PGlite';
      log(`${engine}: starting the server with the demo county`);
      const s = await startBenchServer({ engine, databaseUrl, demoCases, env: { WORKER: '1' } });
      let keep = false;
      try {
        const idle = await idleRss(() => s.rssMb(), idleMs, earlyS);
        if (engine === 'pglite') idleFirst = idle.last;
        notes.push(
          `${tag} first start: ${idle.early.toFixed(0)} MB ${earlyS} s in, within 5 MB of ${idle.last.toFixed(0)} MB from ${idle.settledAfterS} s on`,
        );
        figures.push(
          {
            name: `${tag} first start, ${earlyS} s after ready`,
            value: idle.early,
            unit: 'MB',
            better: 'lower',
          },
          {
            name: `${tag} idle, first start`,
            value: idle.last,
            unit: 'MB',
            better: 'lower',
            ...(engine === 'pglite' ? { target: 400 } : {}),
          },
        );
        const headers = await signIn(s.base, 'operator');
        const world = await loadWorld(s.base);
        log(`${engine}: sustained intake for ${seconds} s`);
        const load = closedLoop(s.base, headers, world, 8, seconds);
        const peak = await peakDuring(s.pid, load);
        const r = await load;
        await sleep(afterMs);
        figures.push(
          { name: `${tag} peak under intake`, value: peak, unit: 'MB', better: 'lower' },
          { name: `${tag} after intake`, value: s.rssMb(), unit: 'MB', better: 'lower' },
        );
        notes.push(`${tag}: ${r.ok} appeals taken during the sustained phase (${r.errors} failed)`);
        keep = engine === 'pglite';
      } finally {
        await s.stop({ keepData: keep });
      }
      if (keep) {
        // What a county runs day to day: the server restarted on its data.
        log('pglite: restart on the same data');
        const again = await startBenchServer({ engine, dir: s.dir });
        try {
          const idle = await idleRss(() => again.rssMb(), idleMs, earlyS);
          restarted = idle.last;
          notes.push(
            `PGlite restarted: ${idle.early.toFixed(0)} MB ${earlyS} s in, within 5 MB of ${idle.last.toFixed(0)} MB from ${idle.settledAfterS} s on`,
          );
          figures.push({
            name: `PGlite restarted, ${earlyS} s after ready`,
            value: idle.early,
            unit: 'MB',
            better: 'lower',
          });
          figures.push({
            name: 'PGlite idle, restarted',
            value: restarted,
            unit: 'MB',
            better: 'lower',
            target: 400,
          });
        } finally {
          await again.stop();
        }
      }
    }
    return {
      figures,
      ratios: Number.isFinite(idleFirst)
        ? [
            {
              name: 'PGlite idle (restarted) ÷ bare node',
              value: (Number.isFinite(restarted) ? restarted : idleFirst) / bare,
              meaning: 'server RSS idle ÷ a bare node http server’s RSS',
              better: 'lower',
            },
          ]
        : [],
      notes,
    };
  },
};

export default bench;
