/**
 * `npm run bench -- <name…|all> [--smoke] [--key=value…]` — runs benchmarks from `bench/*.bench.ts`
 * and prints each one's figures, its ratio against the baseline measured in the same run, and
 * whether the issue's target is met. Exits non-zero only when a benchmark fails to run (targets
 * are reported, not asserted: timings belong in benchmarks, never in tests). The JSON of each
 * run is written to `bench/results/<name>.json` (ignored by git) for docs/PERFORMANCE.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Benchmark, type BenchResult, meets } from './lib/bench.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

async function loadAll(): Promise<Benchmark[]> {
  const files = fs
    .readdirSync(HERE)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const out: Benchmark[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(HERE, f)).href)) as { default: Benchmark };
    out.push(mod.default);
  }
  return out;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

function verdict(f: { value: number; better?: 'lower' | 'higher'; target?: number }, smoke: boolean): string {
  const ok = meets(f);
  if (ok === undefined) return '';
  const t = `target ${f.better === 'lower' ? '≤' : '≥'} ${fmt(f.target!)}`;
  if (smoke) return `(${t}; not judged at smoke size)`;
  return ok ? `✓ ${t}` : `✗ ${t}`;
}

function print(b: Benchmark, r: BenchResult, smoke: boolean, seconds: number): void {
  console.log(`\n## ${b.name} — ${b.description} (${seconds.toFixed(1)} s${smoke ? ', smoke' : ''})`);
  for (const f of r.figures)
    console.log(`  ${f.name}: ${fmt(f.value)} ${f.unit} ${verdict(f, smoke)}`.trimEnd());
  for (const x of r.ratios)
    console.log(`  ratio ${x.name}: ${fmt(x.value)}× (${x.meaning}) ${verdict(x, smoke)}`.trimEnd());
  for (const n of r.notes ?? []) console.log(`  · ${n}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const smoke = argv.includes('--smoke');
  const args: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([\w-]+)=(.*)$/.exec(a);
    if (m) args[m[1]!] = m[2]!;
  }
  const names = argv.filter((a) => !a.startsWith('--'));
  const all = await loadAll();
  if (names.length === 0) {
    console.log('usage: npm run bench -- <name…|all> [--smoke] [--key=value…]\n');
    for (const b of all) console.log(`  ${b.name.padEnd(14)} ${b.description}`);
    process.exit(2);
  }
  const chosen = names.includes('all') ? all : names.map((n) => all.find((b) => b.name === n) ?? n);
  const unknown = chosen.filter((b): b is string => typeof b === 'string');
  if (unknown.length) {
    console.error(`unknown benchmark: ${unknown.join(', ')} (known: ${all.map((b) => b.name).join(', ')})`);
    process.exit(2);
  }
  console.log(
    `# Gongzhi benchmarks — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${new Date().toISOString()}`,
  );
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const resultsDir = path.join(HERE, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  let failures = 0;
  for (const b of chosen as Benchmark[]) {
    const t0 = performance.now();
    try {
      const r = await b.run({
        smoke,
        args,
        databaseUrl,
        log: (m) => process.stderr.write(`[${b.name}] ${m}\n`),
      });
      const seconds = (performance.now() - t0) / 1000;
      print(b, r, smoke, seconds);
      fs.writeFileSync(
        path.join(resultsDir, `${b.name}${smoke ? '.smoke' : ''}.json`),
        `${JSON.stringify({ name: b.name, smoke, at: new Date().toISOString(), seconds, ...r }, null, 2)}\n`,
      );
    } catch (err) {
      failures++;
      console.log(`\n## ${b.name} — FAILED`);
      console.log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    }
  }
  console.log(`\n${chosen.length - failures} benchmarks ran, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

await main();
