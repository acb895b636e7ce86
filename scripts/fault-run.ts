/**
 * The full crash run recorded in docs/RELIABILITY.md: sustained intake against a real server that is
 * killed with SIGKILL `--kills` times, then every acknowledged appeal looked up in the database.
 *
 *   npm run fault -- --engine pglite --kills 50
 *   npm run fault -- --engine postgres --kills 50 --database-url postgres://postgres@127.0.0.1:5432/postgres
 *   options: --clients 4 (concurrent submitters), --minutes 60 (stop killing after this long),
 *            --out result.json
 *
 * Exits 1 when anything acknowledged was lost, doubled or incomplete.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { clean, prepareTarget, runKills, verifyAcks } from '../test/reliability/crash.ts';
import { inspect } from '../test/reliability/harness.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'pglite' },
    kills: { type: 'string', default: '50' },
    clients: { type: 'string', default: '4' },
    minutes: { type: 'string' },
    'database-url': {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
    out: { type: 'string' },
  },
});

const engine = values.engine === 'postgres' ? 'postgres' : 'pglite';
const kills = Number(values.kills);
const log = (s: string) => process.stderr.write(`[fault ${engine}] ${new Date().toISOString()} ${s}\n`);
const started = Date.now();
const target = await prepareTarget({
  adminUrl: engine === 'postgres' ? values['database-url'] : undefined,
  citizens: 6,
  log,
});
let exit = 1;
try {
  const run = await runKills(target, {
    kills,
    clients: Number(values.clients),
    log,
    ...(values.minutes ? { stopBy: started + Number(values.minutes) * 60_000 } : {}),
  });
  const db = await inspect(target.spec);
  const v = await verifyAcks(db, target.prefix, run.acks).finally(() => db.close());
  const restarts = [...run.restartMs].sort((a, b) => a - b);
  const result = {
    engine,
    kills: run.kills,
    killsAsked: kills,
    clients: Number(values.clients),
    requests: run.stats.requests,
    acknowledged: v.acked,
    created201: run.stats.created,
    replayed200: run.stats.replayed,
    retries: run.stats.retries,
    networkErrors: run.stats.networkErrors,
    status503: run.stats.status503,
    status5xx: run.stats.status5xx,
    inFlightAtKillsTotal: run.inFlightAtKills.reduce((a, b) => a + b, 0),
    citizenAppeals: run.acks.filter((a) => a.citizen).length,
    lost: v.lost.length,
    duplicated: v.duplicated.length,
    mismatched: v.mismatched.length,
    missing: Object.fromEntries(Object.entries(v.missing).map(([k, m]) => [k, m.length])),
    unacknowledgedCases: v.unacknowledged,
    restartMedianMs: restarts[Math.floor(restarts.length / 2)] ?? null,
    restartMaxMs: restarts.at(-1) ?? null,
    minutes: Math.round((Date.now() - started) / 6000) / 10,
    at: new Date().toISOString(),
    clean: clean(v),
    examples: {
      lost: v.lost.slice(0, 10),
      duplicated: v.duplicated.slice(0, 10),
      missing: Object.fromEntries(Object.entries(v.missing).map(([k, m]) => [k, m.slice(0, 10)])),
    },
  };
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  if (values.out) fs.writeFileSync(values.out, `${text}\n`);
  exit = result.clean ? 0 : 1;
} finally {
  await target.cleanup();
}
process.exit(exit);
