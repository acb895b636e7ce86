/**
 * The crash campaign shared by `crash.test.ts` (a few kills, in CI) and `npm run fault` (50 kills
 * per engine, recorded in docs/RELIABILITY.md): sustained intake with idempotency keys and client
 * retries against a real server process that is killed with SIGKILL at random moments and started
 * again on the same data; then every acknowledged appeal is looked up in the database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../e2e/server.ts';
import { type Receiver, startReceiver } from '../../server/modules/webhooks/receiver.testkit.ts';
import {
  type Ack,
  appealBody,
  call,
  citizenLogin,
  newStats,
  type Session,
  type Stats,
  staffLogin,
  submitUntilAcked,
} from './client.ts';
import {
  createDatabase,
  dropDatabase,
  type Inspector,
  ServerProcess,
  type ServerSpec,
  sleep,
  until,
} from './harness.ts';

export interface CrashTarget {
  engine: 'pglite' | 'postgres';
  server: ServerProcess;
  spec: ServerSpec;
  receiver: Receiver;
  operator: Session;
  citizens: Session[];
  villageId: string;
  /** Idempotency keys of this run start with it. */
  prefix: string;
  cleanup(): Promise<void>;
}

/**
 * A fresh data folder (PGlite) or database (PostgreSQL, next to `adminUrl`), the server started on
 * it with the worker off (so the outbox rows that intake writes stay there to be counted), a
 * webhook subscription for `case.created` to a receiver in this process, an operator and a few
 * signed-in citizens.
 */
export async function prepareTarget(opts: {
  adminUrl?: string | undefined;
  citizens?: number;
  log?: (s: string) => void;
}): Promise<CrashTarget> {
  const log = opts.log ?? (() => {});
  const engine = opts.adminUrl ? 'postgres' : 'pglite';
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-crash-'));
  const dbName = `gz_crash_${process.pid}_${port}`;
  const databaseUrl = opts.adminUrl ? await createDatabase(opts.adminUrl, dbName) : '';
  const spec: ServerSpec = {
    dataDir: path.join(dir, 'data'),
    databaseUrl,
    port,
    logFile: path.join(dir, 'server.log'),
    worker: false,
  };
  const server = new ServerProcess(spec);
  const receiver = await startReceiver();
  let current = server;
  const cleanup = async () => {
    await current.kill('SIGKILL');
    await receiver.close();
    if (opts.adminUrl) await dropDatabase(opts.adminUrl, dbName).catch(() => {});
    if (!process.env.KEEP_FAULT_DIR) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    log(`${engine}: first start (migrations and the demo county) in ${dir}`);
    await server.startAndWait();
    const base = () => server.base;
    const admin = await staffLogin(base, 'admin', '10.0.0.1');
    const sub = await call(server.base, admin, 'POST', '/api/integrations/webhooks', {
      name: '可靠性测试接收端',
      system: '测试系统',
      url: receiver.url,
      events: ['case.created'],
    });
    if (sub.status !== 201) throw new Error(`webhook subscription: ${sub.status} ${await sub.text()}`);
    const regions = (await (await fetch(`${server.base}/api/public/regions`)).json()) as {
      townships: { villages: { code: string }[] }[];
    };
    const villageId = regions.townships[0]!.villages[0]!.code;
    const operator = await staffLogin(base, 'operator', '10.0.0.2');
    const citizens: Session[] = [];
    for (let i = 0; i < (opts.citizens ?? 3); i++) {
      const phone = `137${String(port).padStart(5, '0')}${String(i).padStart(3, '0')}`;
      citizens.push(await citizenLogin(base, () => spec.logFile, phone, `10.1.${i >> 8}.${i & 255}`));
    }
    const target: CrashTarget = {
      engine,
      get server() {
        return current;
      },
      set server(s: ServerProcess) {
        current = s;
      },
      spec,
      receiver,
      operator,
      citizens,
      villageId,
      prefix: `crash-${process.pid}-${port}-`,
      cleanup,
    };
    return target;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface KillRun {
  acks: Ack[];
  stats: Stats;
  kills: number;
  /** Submissions in flight (sent, not yet answered) at each kill. */
  inFlightAtKills: number[];
  /** Milliseconds from each restart's spawn to health ok. */
  restartMs: number[];
}

/**
 * Sustained intake by `clients` concurrent submitters (three in four as the operator's quick
 * entry, one in four as a signed-in citizen), and `kills` times: wait for a few acknowledgements
 * and a random moment, SIGKILL the server, start it again and let the clients' retries carry on.
 * Ends with one more SIGKILL, so the last acknowledgements are checked after a crash too.
 */
export async function runKills(
  t: CrashTarget,
  opts: {
    kills: number;
    clients?: number;
    gapMs?: [number, number];
    log?: (s: string) => void;
    /** Stop killing at this instant (epoch ms) even if fewer kills were made; the result says how many. */
    stopBy?: number;
  },
): Promise<KillRun> {
  const log = opts.log ?? (() => {});
  const stats = newStats();
  const acks: Ack[] = [];
  const [minGap, maxGap] = opts.gapMs ?? [200, 2500];
  let next = 0;
  let inFlight = 0;
  let stop = false;
  const loops = Array.from({ length: opts.clients ?? 4 }, async () => {
    while (!stop) {
      const n = next++;
      const citizen = n % 4 === 3;
      // A citizen's appeal comes from an address of its own, as from phones that move between
      // networks: a few citizens sending hundreds of appeals from one address each would meet the
      // limit of 20 an hour per address, which on PostgreSQL outlives the kills (decision 0032).
      const session = citizen
        ? { ...t.citizens[(n >> 2) % t.citizens.length]!, xff: `10.2.${(n >> 8) & 255}.${n & 255}` }
        : t.operator;
      inFlight++;
      try {
        acks.push(
          await submitUntilAcked(() => t.server.base, session, {
            citizen,
            key: `${t.prefix}${n}`,
            body: appealBody(n, t.villageId, citizen),
            stats,
            // A submission may span several kills, each restart taking minutes on a loaded machine:
            // the client keeps retrying as a real one would; the test's own timeout bounds the run.
            timeoutMs: 3_600_000,
          }),
        );
      } finally {
        inFlight--;
      }
    }
  });
  const failed = Promise.all(loops).then(
    () => undefined,
    (err: unknown) => err,
  );
  const inFlightAtKills: number[] = [];
  const restartMs: number[] = [];
  let kills = 0;
  try {
    for (let k = 0; k < opts.kills; k++) {
      if (opts.stopBy && Date.now() > opts.stopBy) {
        log(`time is up after ${kills} kills`);
        break;
      }
      const since = acks.length;
      await until(
        'acknowledgements after the restart',
        async () => (acks.length >= since + 3 ? true : undefined),
        300_000,
        50,
      );
      await sleep(minGap + Math.random() * (maxGap - minGap));
      inFlightAtKills.push(inFlight);
      await t.server.kill('SIGKILL');
      kills++;
      const t0 = Date.now();
      await t.server.startAndWait();
      restartMs.push(Date.now() - t0);
      log(
        `kill ${kills}/${opts.kills}: ${acks.length} acknowledged, ${inFlightAtKills.at(-1)} in flight, restart ${restartMs.at(-1)} ms`,
      );
      const err = await Promise.race([failed, sleep(0).then(() => undefined)]);
      if (err) throw err;
    }
    // A last stretch of load, then stop the clients: each finishes (retries) the submission it holds.
    const since = acks.length;
    await until(
      'acknowledgements after the last restart',
      async () => (acks.length >= since + 3 ? true : undefined),
      300_000,
      50,
    );
  } finally {
    stop = true;
  }
  const err = await failed;
  if (err) throw err;
  await t.server.kill('SIGKILL');
  return { acks, stats, kills, inFlightAtKills, restartMs };
}

export interface Verification {
  /** Acknowledged submissions. */
  acked: number;
  /** Acknowledged, but no case with that key. */
  lost: string[];
  /** More than one case for one key. */
  duplicated: string[];
  /** A case with the key, but another id than the one acknowledged. */
  mismatched: string[];
  /** Cases of this run whose submission was never acknowledged (none expected: clients retry). */
  unacknowledged: number;
  /** Acknowledged cases missing a part of what intake writes in the same transaction. */
  missing: { receiveEvent: string[]; deadline: string[]; inapp: string[]; sms: string[]; webhook: string[] };
}

interface CaseFacts {
  key: string;
  id: string;
  receive_events: number;
  deadlines: number;
  inapp: number;
  sms: number;
  webhooks: number;
}

/** Looks every acknowledged submission up by its idempotency key, with what must come with it. */
export async function verifyAcks(db: Inspector, prefix: string, acks: Ack[]): Promise<Verification> {
  const rows = await db.q<CaseFacts>(
    `select c.idempotency_key as key, c.id::text as id,
       (select count(*)::int from case_events e where e.case_id = c.id and e.action = 'receive') as receive_events,
       (select count(*)::int from case_deadlines d where d.case_id = c.id and d.stage = 'dispatch') as deadlines,
       (select count(*)::int from notifications n
         where n.case_id = c.id and n.kind = 'received' and n.channel = 'inapp') as inapp,
       (select count(*)::int from notifications n
         where n.case_id = c.id and n.kind = 'received' and n.channel = 'sms') as sms,
       (select count(*)::int from webhook_deliveries w where w.case_id = c.id and w.event = 'case.created') as webhooks
     from cases c where c.idempotency_key like $1`,
    [`${prefix}%`],
  );
  const byKey = new Map<string, CaseFacts[]>();
  for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const v: Verification = {
    acked: acks.length,
    lost: [],
    duplicated: [],
    mismatched: [],
    unacknowledged: 0,
    missing: { receiveEvent: [], deadline: [], inapp: [], sms: [], webhook: [] },
  };
  const ackedKeys = new Set<string>();
  for (const a of acks) {
    ackedKeys.add(a.key);
    const found = byKey.get(a.key) ?? [];
    if (found.length === 0) {
      v.lost.push(a.key);
      continue;
    }
    if (found.length > 1) v.duplicated.push(a.key);
    const c = found[0]!;
    if (c.id !== a.caseId) v.mismatched.push(a.key);
    if (c.receive_events !== 1) v.missing.receiveEvent.push(a.key);
    if (c.deadlines !== 1) v.missing.deadline.push(a.key);
    if (c.webhooks !== 1) v.missing.webhook.push(a.key);
    if (a.citizen && c.inapp !== 1) v.missing.inapp.push(a.key);
    if (a.citizen && c.sms !== 1) v.missing.sms.push(a.key);
  }
  v.unacknowledged = [...byKey.keys()].filter((k) => !ackedKeys.has(k)).length;
  return v;
}

/** True when nothing was lost, doubled or left incomplete. */
export function clean(v: Verification): boolean {
  return (
    v.lost.length === 0 &&
    v.duplicated.length === 0 &&
    v.mismatched.length === 0 &&
    Object.values(v.missing).every((m) => m.length === 0)
  );
}
