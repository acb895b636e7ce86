import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../common/roles.ts';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { TEST_ENGINE } from '../../test/db.ts';
import { COUNTY, createStaff, createVillage, type StaffSession } from '../../test/factories.ts';
import type { StaffActor } from '../authz/actor.ts';
import type { AppContext } from '../context.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { FixedClock } from '../lib/clock.ts';
import { perform } from './engine.ts';
import { receiveCase } from './intake.ts';
import { sweepOverdue } from './sweep.ts';

/*
 * Exactly once under concurrency. On PostgreSQL the second sweeper is a second application context
 * with its own connection pool to the same database (as a second worker process would be); on
 * PGlite (one connection) the two sweeps share the context and interleave between transactions.
 */

const cn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+08:00`);

let env: TestEnv;
let clock: FixedClock;
/** The second worker's context: its own pool on PostgreSQL, the same context on PGlite. */
let ctxB: AppContext;
let ownPool: Database | undefined;
let operator: StaffActor;
let dispatcher: StaffActor;
let villages: string[];
const handlers = new Map<string, StaffActor>();

async function actorOf(s: StaffSession): Promise<StaffActor> {
  const u = await env.ctx.database.db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.username', 'u.role', 'u.org_id', 'o.scope_path'])
    .where('u.id', '=', s.userId)
    .executeTakeFirstOrThrow();
  return {
    kind: 'staff',
    userId: u.id,
    username: u.username,
    role: u.role as StaffRole,
    orgId: u.org_id,
    countyCode: COUNTY,
    scopePath: u.scope_path,
  };
}

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(cn('2026-03-02 08:00')); // Monday
  env.ctx.clock = clock;
  villages = [];
  for (let i = 0; i < 4; i++) villages.push(await createVillage(env.ctx));
  const op = await createStaff(env, 'operator');
  operator = await actorOf(op);
  dispatcher = await actorOf(await createStaff(env, 'county_dispatcher', { orgId: op.orgId }));
  for (const v of villages) {
    handlers.set(v, await actorOf(await createStaff(env, 'village_handler', { orgId: v })));
  }
  const url = (env.ctx.database as Database & { url?: string }).url;
  if (TEST_ENGINE === 'postgres') {
    expect(url).toBeTruthy();
    ownPool = await openDatabase({ databaseUrl: url!, poolSize: 4 });
    ctxB = { ...env.ctx, database: ownPool };
  } else {
    ctxB = env.ctx;
  }
});
afterAll(async () => {
  await ownPool?.close();
  await env.close();
});

/** Receives `n` appeals spread over the villages (and two categories), dispatching every other one. */
async function makeCases(n: number, receivedAt: string, dispatchedAt: string) {
  clock.advance(cn(receivedAt).getTime() - clock.now().getTime());
  const made: { id: string; villageId: string; dispatched: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    const villageId = villages[i % villages.length]!;
    const r = await receiveCase(env.ctx, operator, {
      type: 'appeal',
      channel: 'phone',
      categoryId: i % 3 === 0 ? 'JF02' : 'JF01',
      description: `第 ${i} 号诉求：路灯损坏，夜间出行不便。`,
      villageId,
    });
    made.push({ id: r.case.id, villageId, dispatched: i % 2 === 1 });
  }
  clock.advance(cn(dispatchedAt).getTime() - clock.now().getTime());
  for (const c of made.filter((x) => x.dispatched)) {
    await perform(env.ctx, dispatcher, c.id, 'dispatch', { leadOrgId: c.villageId });
  }
  return made;
}

/** Deadlines of the given cases that are open and due at the clock's now. */
async function dueDeadlines(ids: string[]) {
  return env.ctx.database.db
    .selectFrom('case_deadlines')
    .select(['id', 'case_id', 'stage'])
    .where('case_id', 'in', ids)
    .where('status', 'in', ['pending', 'warned'])
    .where('due_at', '<=', clock.now())
    .execute();
}

async function overdueEvents(ids: string[]) {
  return env.ctx.database.db
    .selectFrom('case_events')
    .select(['case_id', 'seq', 'payload'])
    .where('case_id', 'in', ids)
    .where('action', '=', 'overdue')
    .execute();
}

/** Every (case, kind, recipient, channel) of the sweep's notifications appears once per deadline. */
async function sweepNotifications(ids: string[]) {
  return env.ctx.database.db
    .selectFrom('notifications')
    .select(['case_id', 'kind', 'recipient_id', 'channel', (eb) => eb.fn.countAll<number>().as('n')])
    .where('case_id', 'in', ids)
    .where('kind', 'in', ['overdue', 'escalated'])
    .groupBy(['case_id', 'kind', 'recipient_id', 'channel'])
    .execute();
}

describe(`two sweepers at once (${TEST_ENGINE})`, () => {
  it('acts on each of 200 due deadlines exactly once, and a second sweep does nothing', async () => {
    const cases = await makeCases(200, '2026-03-02 09:00', '2026-03-02 09:30');
    const ids = cases.map((c) => c.id);
    // Tue 3 Mar 12:00: the 100 undispatched cases' dispatch deadlines (Mon 11:00) and the 100
    // dispatched ones' sign deadlines (Tue 09:30) have passed; the replies have not.
    clock.advance(cn('2026-03-03 12:00').getTime() - clock.now().getTime());
    const due = await dueDeadlines(ids);
    expect(due).toHaveLength(200);
    expect(due.filter((d) => d.stage === 'dispatch')).toHaveLength(100);
    expect(due.filter((d) => d.stage === 'sign')).toHaveLength(100);

    const [a, b] = await Promise.all([sweepOverdue(env.ctx), sweepOverdue(ctxB)]);
    expect(a + b).toBe(200);

    const rows = await env.ctx.database.db
      .selectFrom('case_deadlines')
      .select(['id', 'status', 'overdue_at'])
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .execute();
    expect(
      rows.every((r) => r.status === 'overdue' && r.overdue_at?.getTime() === clock.now().getTime()),
    ).toBe(true);
    const events = await overdueEvents(ids);
    expect(events).toHaveLength(200);
    const byDeadline = new Map<number, number>();
    for (const e of events) {
      const id = (e.payload as { deadlineId: number }).deadlineId;
      byDeadline.set(id, (byDeadline.get(id) ?? 0) + 1);
    }
    expect([...byDeadline.keys()].sort((x, y) => x - y)).toEqual(due.map((d) => d.id).sort((x, y) => x - y));
    expect([...byDeadline.values()].every((n) => n === 1)).toBe(true);
    // Each case: one overdue event and the two notifications it carries, no more.
    expect(new Set(events.map((e) => e.case_id)).size).toBe(200);
    const notes = await sweepNotifications(ids);
    expect(notes).toHaveLength(400);
    expect(notes.every((n) => Number(n.n) === 1)).toBe(true);

    // The rollups took each overdue once.
    const rollups = await env.ctx.database.db
      .selectFrom('assessment_rollups')
      .select(['metric', (eb) => eb.fn.sum<number>('value').as('v')])
      .where('metric', 'in', ['appeal:overdue_dispatch', 'appeal:overdue_sign'])
      .groupBy('metric')
      .orderBy('metric')
      .execute();
    expect(rollups.map((r) => [r.metric, Number(r.v)])).toEqual([
      ['appeal:overdue_dispatch', 100],
      ['appeal:overdue_sign', 100],
    ]);

    // A second sweep (again two at once) finds nothing to do.
    expect(await Promise.all([sweepOverdue(env.ctx), sweepOverdue(ctxB)])).toEqual([0, 0]);
    expect(await overdueEvents(ids)).toHaveLength(200);
    expect(await sweepNotifications(ids)).toHaveLength(400);
  });

  it('lets users act on the same cases while two sweeps run, without deadlock, and both take effect', async () => {
    const cases = await makeCases(40, '2026-03-04 09:00', '2026-03-04 09:30');
    const ids = cases.map((c) => c.id);
    clock.advance(cn('2026-03-05 12:00').getTime() - clock.now().getTime());
    const due = await dueDeadlines(ids);
    expect(due).toHaveLength(40);
    const versions = new Map(
      (
        await env.ctx.database.db
          .selectFrom('cases')
          .select(['id', 'version'])
          .where('id', 'in', ids)
          .execute()
      ).map((r) => [r.id, r.version]),
    );
    // Urge every case (does not touch the due deadline) and sign half of the dispatched ones (closes
    // the very deadline the sweep wants), each on whichever context, all at once with the sweeps.
    const signed = cases.filter((c) => c.dispatched).filter((_, i) => i % 2 === 0);
    // Small batches: the sweeps run many short transactions in between the users' ones.
    const results = await Promise.allSettled([
      sweepOverdue(env.ctx, { batch: 5 }),
      ...cases.map((c, i) =>
        perform(i % 2 ? ctxB : env.ctx, dispatcher, c.id, 'urge', { message: `请加快办理（${i}）` }),
      ),
      sweepOverdue(ctxB, { batch: 5 }),
      ...signed.map((c, i) => perform(i % 2 ? env.ctx : ctxB, handlers.get(c.villageId)!, c.id, 'sign', {})),
    ]);
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    // A sweep skips cases a user holds at that moment; the next tick takes them.
    await sweepOverdue(env.ctx);
    expect(await sweepOverdue(ctxB)).toBe(0);

    const events = await env.ctx.database.db
      .selectFrom('case_events')
      .select(['case_id', 'seq', 'action', 'payload'])
      .where('case_id', 'in', ids)
      .orderBy('case_id')
      .orderBy('seq')
      .execute();
    const deadlines = await env.ctx.database.db
      .selectFrom('case_deadlines')
      .selectAll()
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .execute();
    const rows = await env.ctx.database.db
      .selectFrom('cases')
      .select(['id', 'version', 'state'])
      .where('id', 'in', ids)
      .execute();
    for (const c of cases) {
      const mine = events.filter((e) => e.case_id === c.id);
      // The log is gap-free and both the user's and the sweep's events are in it.
      expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
      expect(mine.filter((e) => e.action === 'urge')).toHaveLength(1);
      const d = deadlines.find((x) => x.case_id === c.id)!;
      const overdue = mine.filter((e) => e.action === 'overdue');
      const row = rows.find((r) => r.id === c.id)!;
      if (signed.includes(c)) {
        // Sign and sweep raced for one deadline: whichever came first, it is acted on once.
        expect(row.state).toBe('signed');
        expect(mine.filter((e) => e.action === 'sign')).toHaveLength(1);
        expect(d.status).toBe('done');
        expect(overdue.length).toBe(d.overdue_at ? 1 : 0);
        const sign = mine.find((e) => e.action === 'sign')!;
        if (overdue.length) expect(overdue[0]!.seq).toBeLessThan(sign.seq);
        expect(row.version).toBe(versions.get(c.id)! + 2);
      } else {
        expect(overdue).toHaveLength(1);
        expect((overdue[0]!.payload as { deadlineId: number }).deadlineId).toBe(d.id);
        expect(d.status).toBe('overdue');
        expect(row.version).toBe(versions.get(c.id)! + 1);
      }
    }
    const notes = await sweepNotifications(ids);
    expect(notes.every((n) => Number(n.n) === 1)).toBe(true);
    const urged = await env.ctx.database.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('case_id', 'in', ids)
      .where('kind', '=', 'urged')
      .executeTakeFirstOrThrow();
    // Urges go to the lead unit: the 20 dispatched cases have one, the others none yet.
    expect(Number(urged.n)).toBe(20);
    // Rollups equal the log for the overdue metrics of all cases so far.
    const fromLog = await env.ctx.database.db
      .selectFrom('case_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'overdue')
      .executeTakeFirstOrThrow();
    const fromRollups = await env.ctx.database.db
      .selectFrom('assessment_rollups')
      .select(sql<number>`coalesce(sum(value), 0)`.as('n'))
      .where('metric', 'like', 'appeal:overdue_%')
      .executeTakeFirstOrThrow();
    expect(Number(fromRollups.n)).toBe(Number(fromLog.n));
  });
});
