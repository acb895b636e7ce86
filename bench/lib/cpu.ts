/**
 * CPU time spent by the processes of a benchmark, from /proc (Linux): what a phase cost the server,
 * PostgreSQL (its live processes plus the backends that exited, which the postmaster has reaped
 * into its children's time) and the load generator. Used to show where a throughput ceiling comes
 * from. Elsewhere than Linux every figure is `undefined`.
 */
import fs from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ; 100 on Linux x86_64 and arm64). */
const HZ = 100;

function stat(pid: number | string): string[] | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    return [
      text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
      ...text.slice(text.lastIndexOf(')') + 2).split(' '),
    ];
  } catch {
    return undefined;
  }
}

/** CPU milliseconds of one process so far (user + system; with its reaped children if asked). */
export function processCpuMs(pid: number, withChildren = false): number | undefined {
  const f = stat(pid);
  if (!f) return undefined;
  // After the name: f[1] = state (field 3); utime, stime, cutime, cstime are fields 14–17.
  const n = (field: number) => Number(f[field - 2]);
  return ((n(14) + n(15) + (withChildren ? n(16) + n(17) : 0)) * 1000) / HZ;
}

/** CPU milliseconds of every `postgres` process so far, exited backends included. */
export function postgresCpuMs(): number | undefined {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  let total = 0;
  let seen = false;
  for (const pid of pids) {
    const f = stat(pid);
    if (f?.[0] !== 'postgres') continue;
    seen = true;
    // The postmaster (its parent is not a postgres process) carries the reaped backends' time.
    const parent = stat(f[2] ?? '');
    const isPostmaster = parent?.[0] !== 'postgres';
    total += processCpuMs(Number(pid), isPostmaster) ?? 0;
  }
  return seen ? total : undefined;
}

/** Measures the CPU that `fn` costs the given processes, PostgreSQL and this process. */
export async function cpuDuring<T>(
  fn: () => Promise<T>,
  pids: Record<string, number> = {},
): Promise<{ result: T; ms: Record<string, number | undefined> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
  const pgBefore = postgresCpuMs();
  const selfBefore = process.cpuUsage();
  const result = await fn();
  const self = process.cpuUsage(selfBefore);
  const pgAfter = postgresCpuMs();
  const ms: Record<string, number | undefined> = {};
  for (const [k, pid] of Object.entries(pids)) {
    const a = processCpuMs(pid);
    ms[k] = a !== undefined && before[k] !== undefined ? a - before[k]! : undefined;
  }
  ms.postgres = pgAfter !== undefined && pgBefore !== undefined ? pgAfter - pgBefore : undefined;
  ms.loadGenerator = (self.user + self.system) / 1000;
  return { result, ms };
}
