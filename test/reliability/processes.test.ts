/**
 * Issue 7, parts 2 and 3 on PostgreSQL: two app processes on one database act on every due
 * deadline, SMS and webhook delivery exactly once; and when the database stops under load, requests
 * get 503 `DB_UNAVAILABLE`, health says not ready, and both processes recover by themselves when it
 * is back. Runs on a private PostgreSQL cluster made for the test (never the machine's shared
 * server), in the PostgreSQL pass of the suite (TEST_DATABASE_URL set).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../e2e/server.ts';
import { type Receiver, startReceiver } from '../../server/modules/webhooks/receiver.testkit.ts';
import {
  type Ack,
  appealBody,
  call,
  citizenLogin,
  newStats,
  type Session,
  staffLogin,
  submitUntilAcked,
} from './client.ts';
import { verifyAcks } from './crash.ts';
import { createDatabase, type Inspector, inspect, ServerProcess, sleep, until } from './harness.ts';
import { type PrivateCluster, privateClusterUnavailable, startPrivateCluster } from './pgcluster.ts';

const unavailable = !process.env.TEST_DATABASE_URL
  ? 'runs in the PostgreSQL pass (TEST_DATABASE_URL set)'
  : privateClusterUnavailable();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-procs-'));
let cluster: PrivateCluster | undefined;
let databaseUrl = '';
let db: Inspector | undefined;
let receiver: Receiver | undefined;
const servers: ServerProcess[] = [];
let operator: Session;
let citizen: Session;
let villageId = '';
const prefix = `procs-${process.pid}-`;

async function newServer(name: string, worker: boolean): Promise<ServerProcess> {
  const s = new ServerProcess({
    dataDir: path.join(dir, name),
    databaseUrl,
    port: await freePort(),
    logFile: path.join(dir, `${name}.log`),
    worker,
    sweepIntervalMs: 200,
  });
  servers.push(s);
  return s;
}

beforeAll(async () => {
  if (unavailable) return;
  cluster = await startPrivateCluster();
  databaseUrl = await createDatabase(cluster.url, 'gz');
  db = await inspect({ dataDir: dir, databaseUrl });
  receiver = await startReceiver();
  // The first process migrates and loads the demo county; its worker is off, so the work made
  // through it waits for the two processes started later.
  const a = await newServer('a', false);
  await a.startAndWait();
  const base = () => a.base;
  const admin = await staffLogin(base, 'admin', '10.2.0.1');
  const sub = await call(a.base, admin, 'POST', '/api/integrations/webhooks', {
    name: '双进程测试接收端',
    system: '测试系统',
    url: receiver.url,
    events: ['case.created'],
  });
  expect(sub.status).toBe(201);
  const regions = (await (await fetch(`${a.base}/api/public/regions`)).json()) as {
    townships: { villages: { code: string }[] }[];
  };
  villageId = regions.townships[0]!.villages[0]!.code;
  operator = await staffLogin(base, 'operator', '10.2.0.2');
  citizen = await citizenLogin(base, () => a.spec.logFile, '13600000001', '10.2.0.3');
}, 1_200_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill('SIGKILL')));
  await receiver?.close();
  await db?.close().catch(() => {});
  try {
    cluster?.destroy();
  } catch {
    // already stopped: the folder is removed anyway
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Delivery id → how many times the receiver got it. */
function receivedHooks(): Map<string, number> {
  const seen = new Map<string, number>();
  for (const r of receiver?.received ?? []) {
    const id = String(r.headers['x-gongzhi-delivery']);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
}

describe.skipIf(Boolean(unavailable))(
  `two app processes on one PostgreSQL${unavailable ? ` — skipped: ${unavailable}` : ''}`,
  () => {
    let b: ServerProcess;
    let c: ServerProcess;
    const acks: Ack[] = [];

    it('acts on each due deadline, SMS and webhook delivery exactly once', {
      timeout: 1_200_000,
    }, async () => {
      const a = servers[0]!;
      const stats = newStats();
      for (let n = 0; n < 24; n++) {
        const isCitizen = n % 3 === 2;
        acks.push(
          await submitUntilAcked(() => a.base, isCitizen ? citizen : operator, {
            citizen: isCitizen,
            key: `${prefix}due-${n}`,
            body: appealBody(n, villageId, isCitizen),
            stats,
          }),
        );
      }
      const ids = acks.map((x) => x.caseId);
      const codes = acks.filter((x) => x.citizen).map((x) => x.code);
      // Hold every piece of this work in one transaction while the two workers start: they skip
      // locked rows, so when it commits, all of it falls due for both at the same instant.
      const hold = await inspect({ dataDir: dir, databaseUrl });
      try {
        await hold.q('begin');
        await hold.q('select id from cases where id = any($1::uuid[]) for update', [ids]);
        await hold.q(
          `select id from notifications where case_id = any($1::uuid[]) and channel = 'sms' for update`,
          [ids],
        );
        await hold.q('select id from webhook_deliveries where case_id = any($1::uuid[]) for update', [ids]);
        await hold.q(
          `update case_deadlines set due_at = now() - interval '1 hour', warn_at = now() - interval '2 hours'
          where case_id = any($1::uuid[]) and stage = 'dispatch'`,
          [ids],
        );
        b = await newServer('b', true);
        c = await newServer('c', true);
        await Promise.all([b.startAndWait(), c.startAndWait()]);
        await hold.q('commit');
      } finally {
        await hold.close();
      }

      await until(
        'every overdue event, SMS and webhook',
        async () => {
          const [r] = await db!.q<{ overdue: number; sms: number; hooks: number }>(
            `select (select count(distinct case_id)::int from case_events where action = 'overdue' and case_id = any($1::uuid[])) as overdue,
                  (select count(*)::int from notifications where channel = 'sms' and sent_at is not null and case_id = any($1::uuid[])) as sms,
                  (select count(*)::int from webhook_deliveries where status = 'delivered' and case_id = any($1::uuid[])) as hooks`,
            [ids],
          );
          return r!.overdue === ids.length && r!.sms === codes.length && r!.hooks === ids.length
            ? true
            : undefined;
        },
        300_000,
      );
      // Let both workers tick a few more times: a second action on anything would show now.
      await sleep(2000);

      const perCase = await db!.q<{ id: string; overdue: number; overdue_note: number; escalated: number }>(
        `select c.id::text,
         (select count(*)::int from case_events e where e.case_id = c.id and e.action = 'overdue') as overdue,
         (select count(*)::int from notifications n where n.case_id = c.id and n.kind = 'overdue') as overdue_note,
         (select count(*)::int from notifications n where n.case_id = c.id and n.kind = 'escalated') as escalated
       from cases c where c.id = any($1::uuid[])`,
        [ids],
      );
      expect(perCase).toHaveLength(ids.length);
      for (const r of perCase)
        expect({ id: r.id, overdue: r.overdue, note: r.overdue_note, escalated: r.escalated }).toEqual({
          id: r.id,
          overdue: 1,
          note: 1,
          escalated: 1,
        });

      const sms = await db!.q<{ attempts: number; sent: boolean }>(
        `select attempts, sent_at is not null as sent from notifications where channel = 'sms' and case_id = any($1::uuid[])`,
        [ids],
      );
      expect(sms).toHaveLength(codes.length);
      expect(sms.every((s) => s.sent && s.attempts === 1)).toBe(true);
      const bySms = [b, c].map((s) => s.smsSent().filter((m) => codes.some((code) => m.text.includes(code))));
      for (const code of codes) {
        expect(bySms.flat().filter((m) => m.text.includes(code))).toHaveLength(1);
      }

      const hooks = await db!.q<{ id: string; attempts: number }>(
        'select id::text, attempts from webhook_deliveries where case_id = any($1::uuid[])',
        [ids],
      );
      expect(hooks).toHaveLength(ids.length);
      const seen = receivedHooks();
      expect(hooks.map((h) => [h.id, seen.get(h.id) ?? 0, h.attempts])).toEqual(
        hooks.map((h) => [h.id, 1, 1]),
      );
      console.info(`SMS sent by process b: ${bySms[0]!.length}, by process c: ${bySms[1]!.length}`);
    });

    it('answers 503 DB_UNAVAILABLE while PostgreSQL is down, says not ready, and recovers by itself', {
      timeout: 1_200_000,
    }, async () => {
      if (!b?.alive || !c?.alive) throw new Error('the two processes are not running');
      const pids = [b.pid, c.pid];
      const stats = newStats();
      const loadAcks: Ack[] = [];
      let next = 0;
      let stop = false;
      const loops = Array.from({ length: 3 }, async () => {
        while (!stop) {
          const n = next++;
          const target = n % 2 ? b : c;
          loadAcks.push(
            await submitUntilAcked(() => target.base, operator, {
              citizen: false,
              key: `${prefix}load-${n}`,
              body: appealBody(n, villageId, false),
              stats,
              timeoutMs: 600_000,
            }),
          );
        }
      });
      const failed = Promise.all(loops).then(
        () => undefined,
        (err: unknown) => err,
      );
      try {
        await until(
          'load before the stop',
          async () => (loadAcks.length >= 4 ? true : undefined),
          300_000,
          50,
        );
        cluster!.stop();

        // Readiness: both processes say the database is unavailable.
        for (const s of [b, c]) {
          const health = await until(`${s.spec.logFile}: health 503`, async () => {
            const r = await fetch(`${s.base}/api/health`, { signal: AbortSignal.timeout(10_000) });
            return r.status === 503 ? await r.json() : undefined;
          });
          expect(health).toEqual({ status: 'database_unavailable' });
        }
        // A write and a read: 503 with the stable code, a Chinese message, no stack, a Retry-After.
        const write = await call(b.base, operator, 'POST', '/api/cases', appealBody(9999, villageId, false), {
          'idempotency-key': `${prefix}probe`,
        });
        const read = await call(c.base, operator, 'GET', '/api/cases?queue=all');
        for (const r of [write, read]) {
          expect(r.status).toBe(503);
          expect(r.headers.get('retry-after')).toBe('5');
          const text = await r.text();
          const body = JSON.parse(text) as { error: { code: string; message: string }; requestId: string };
          expect(body.error.code).toBe('DB_UNAVAILABLE');
          expect(body.error.message).toMatch(/数据库/);
          expect(body.requestId).toBeTruthy();
          expect(text).not.toMatch(/ECONNREFUSED|at .*\.(ts|js):\d+|stack/i);
        }
        await until('clients saw 503 while the database was down', async () =>
          stats.status503 > 0 ? true : undefined,
        );
        const ackedWhileDown = loadAcks.length;

        cluster!.start();
        // This test's own connection died with the server: open a new one.
        await db?.close().catch(() => {});
        db = await inspect({ dataDir: dir, databaseUrl });
        for (const s of [b, c]) await s.waitReady(300_000);
        // The same processes, not restarted, take work again.
        expect([b.pid, c.pid]).toEqual(pids);
        expect(b.alive && c.alive).toBe(true);
        await until(
          'load after the database came back',
          async () => (loadAcks.length >= ackedWhileDown + 6 ? true : undefined),
          300_000,
          50,
        );
      } finally {
        stop = true;
      }
      const err = await failed;
      if (err) throw err;

      expect(stats.status5xx).toBe(0);
      expect(Object.keys(stats.codes503)).toEqual(['DB_UNAVAILABLE']);
      const v = await verifyAcks(db!, `${prefix}load-`, loadAcks);
      expect({ lost: v.lost, duplicated: v.duplicated, mismatched: v.mismatched }).toEqual({
        lost: [],
        duplicated: [],
        mismatched: [],
      });
      expect(v.missing.receiveEvent).toEqual([]);
      expect(v.missing.deadline).toEqual([]);
      expect(v.missing.webhook).toEqual([]);
      // The workers came back too: every webhook of the load is delivered, once.
      const ids = loadAcks.map((x) => x.caseId);
      await until(
        'webhooks of the load delivered',
        async () => {
          const [r] = await db!.q<{ n: number }>(
            `select count(*)::int as n from webhook_deliveries where status = 'delivered' and case_id = any($1::uuid[])`,
            [ids],
          );
          return r!.n === ids.length ? true : undefined;
        },
        300_000,
      );
      const hooks = await db!.q<{ id: string }>(
        'select id::text from webhook_deliveries where case_id = any($1::uuid[])',
        [ids],
      );
      const seen = receivedHooks();
      // Every delivery reached the receiver. One whose answer came while the database was gone
      // could not be recorded: it is sent again when its lease ends, with the same delivery id
      // (at-least-once across a lost database; receivers de-duplicate on X-Gongzhi-Delivery).
      expect(hooks.every((h) => (seen.get(h.id) ?? 0) >= 1)).toBe(true);
      const repeated = hooks.filter((h) => (seen.get(h.id) ?? 0) > 1).length;
      console.info(
        `webhook deliveries of the load: ${hooks.length}, sent again after the database loss: ${repeated}`,
      );
    });
  },
);
