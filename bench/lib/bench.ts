/**
 * The shape every benchmark in `bench/` shares. A benchmark measures its subject and a baseline
 * **in the same run on the same machine** and reports both, the ratio between them and, where the
 * issue sets one, the target. `bench/run.ts` finds benchmarks by name, runs them and prints the
 * report; `--smoke` runs them at small sizes (CI) where targets are shown but not judged.
 */
export interface BenchOptions {
  /** Small sizes, a few seconds each: CI runs this so the benchmarks never rot. */
  smoke: boolean;
  /** `--key=value` arguments after the benchmark names (e.g. `--cases=1000000`). */
  args: Record<string, string>;
  /** PostgreSQL server for benchmarks that need one (`BENCH_DATABASE_URL`, default local trust). */
  databaseUrl: string;
  /** Progress lines go here (stderr), never into the report. */
  log(message: string): void;
}

/** One measured figure. `better` says which way is good, for the target check. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  better?: 'lower' | 'higher';
  /** The target for this figure, if it has one. */
  target?: number;
}

/** subject ÷ baseline (or baseline ÷ subject for "times faster"), with what each side was. */
export interface Ratio {
  name: string;
  value: number;
  /** e.g. "intake TPS ÷ pgbench TPS". */
  meaning: string;
  better?: 'lower' | 'higher';
  target?: number;
}

export interface BenchResult {
  figures: Figure[];
  ratios: Ratio[];
  /** Machine facts, sizes and anything a reader needs to repeat the run. */
  notes?: string[];
}

export interface Benchmark {
  name: string;
  /** One line: what is measured against what. */
  description: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}

/** Whether a figure or ratio meets its target (undefined when it has none). */
export function meets(f: {
  value: number;
  better?: 'lower' | 'higher';
  target?: number;
}): boolean | undefined {
  if (f.target === undefined) return undefined;
  return f.better === 'lower' ? f.value <= f.target : f.value >= f.target;
}

/** Percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
