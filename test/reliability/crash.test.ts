/**
 * Issue 7, parts 1 and 2 (one process): an acknowledged appeal survives SIGKILL, exactly once, with
 * its first event, deadline and outbox rows; and work that was due while the server was down is
 * done once after it starts again. On PGlite, or on PostgreSQL with TEST_DATABASE_URL.
 * The full run (50 kills per engine) is `npm run fault`; see docs/RELIABILITY.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type CrashTarget, clean, type KillRun, prepareTarget, runKills, verifyAcks } from './crash.ts';
import { inspect, ServerProcess, until } from './harness.ts';

const KILLS = Number(process.env.FAULT_CI_KILLS ?? 3);

let target: CrashTarget | undefined;
let run: KillRun | undefined;

afterAll(async () => {
  await target?.cleanup();
});

describe(`crash safety on ${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it(`keeps every acknowledged appeal exactly once through ${KILLS} SIGKILLs under load`, {
    timeout: 900_000,
  }, async () => {
    target = await prepareTarget({ adminUrl: process.env.TEST_DATABASE_URL || undefined });
    run = await runKills(target, { kills: KILLS });
    expect(run.kills).toBe(KILLS);
    // The kills cut requests: some submissions needed a retry, and the retries found what was there.
    expect(run.stats.retries).toBeGreaterThan(0);
    expect(run.stats.status5xx).toBe(0);
    const db = await inspect(target.spec);
    try {
      const v = await verifyAcks(db, target.prefix, run.acks);
      expect(v.acked).toBeGreaterThanOrEqual(KILLS * 3);
      expect(v.lost).toEqual([]);
      expect(v.duplicated).toEqual([]);
      expect(v.mismatched).toEqual([]);
      expect(v.missing).toEqual({ receiveEvent: [], deadline: [], inapp: [], sms: [], webhook: [] });
      expect(v.unacknowledged).toBe(0);
      expect(clean(v)).toBe(true);
      // Citizens' appeals were among them, so the SMS outbox was exercised too.
      expect(run.acks.some((a) => a.citizen)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('does the work that fell due while it was down, once, after a restart', {
    timeout: 600_000,
  }, async () => {
    if (!target || !run) throw new Error('the crash run did not complete');
    const t = target;
    // The server is down (killed). Nothing was sent yet: its worker was off. Make the dispatch
    // deadline of some of the appeals pass while it is down.
    const backdated = run.acks.filter((_, i) => i % 2 === 0).map((a) => a.caseId);
    const citizenCodes = run.acks.filter((a) => a.citizen).map((a) => a.code);
    const db = await inspect(t.spec);
    try {
      const pending = await db.q<{ sms: number; hooks: number }>(
        `select (select count(*)::int from notifications where channel = 'sms' and sent_at is null
                  and case_id = any($1::uuid[])) as sms,
                (select count(*)::int from webhook_deliveries where status = 'pending'
                  and case_id = any($1::uuid[])) as hooks`,
        [run.acks.map((a) => a.caseId)],
      );
      expect(pending[0]).toEqual({ sms: citizenCodes.length, hooks: run.acks.length });
      await db.q(
        `update case_deadlines set due_at = now() - interval '1 hour', warn_at = now() - interval '2 hours'
          where case_id = any($1::uuid[]) and stage = 'dispatch'`,
        [backdated],
      );
    } finally {
      await db.close();
    }

    // Start again, now with the worker.
    const server = new ServerProcess({ ...t.spec, worker: true });
    t.server = server;
    await server.startAndWait();
    const hooksFor = () => {
      const seen = new Map<string, number>();
      for (const r of t.receiver.received) {
        const id = String(r.headers['x-gongzhi-delivery']);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      return seen;
    };
    await until(
      'webhooks and SMS sent after the restart',
      async () => {
        const sms = server.smsSent().filter((s) => citizenCodes.some((c) => s.text.includes(c)));
        return hooksFor().size >= run!.acks.length && sms.length >= citizenCodes.length ? true : undefined;
      },
      300_000,
    );
    await server.stop();

    const check = await inspect(t.spec);
    try {
      const overdue = await check.q<{ case_id: string; n: number }>(
        `select case_id::text, count(*)::int as n from case_events
          where action = 'overdue' and case_id = any($1::uuid[]) group by case_id`,
        [run.acks.map((a) => a.caseId)],
      );
      // One overdue event for each backdated case, none for the others.
      expect(overdue.map((o) => o.case_id).sort()).toEqual([...backdated].sort());
      expect(overdue.every((o) => o.n === 1)).toBe(true);
      const deadlines = await check.q<{ status: string; n: number }>(
        `select status, count(*)::int as n from case_deadlines
          where case_id = any($1::uuid[]) and stage = 'dispatch' group by status`,
        [backdated],
      );
      expect(deadlines).toEqual([{ status: 'overdue', n: backdated.length }]);
      const sms = await check.q<{ sent: number; unsent: number }>(
        `select count(*) filter (where sent_at is not null and attempts = 1)::int as sent,
                count(*) filter (where sent_at is null)::int as unsent
           from notifications where channel = 'sms' and case_id = any($1::uuid[])`,
        [run.acks.map((a) => a.caseId)],
      );
      expect(sms[0]).toEqual({ sent: citizenCodes.length, unsent: 0 });
      const hooks = await check.q<{ id: string; status: string }>(
        `select id::text, status from webhook_deliveries where case_id = any($1::uuid[])`,
        [run.acks.map((a) => a.caseId)],
      );
      expect(hooks.every((h) => h.status === 'delivered')).toBe(true);
      // Each delivery reached the receiver once, and each SMS went out once.
      const seen = hooksFor();
      expect(hooks.map((h) => seen.get(h.id) ?? 0).every((n) => n === 1)).toBe(true);
      for (const code of citizenCodes) {
        expect(server.smsSent().filter((s) => s.text.includes(code))).toHaveLength(1);
      }
    } finally {
      await check.close();
    }
  });
});
