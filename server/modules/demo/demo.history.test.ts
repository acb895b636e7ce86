import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { APPEAL_STATES } from '../../engine/workflows/appeal.ts';
import { EVENT_STATES } from '../../engine/workflows/event.ts';
import { systemClock } from '../../lib/clock.ts';
import { generateDemoHistory, type HistoryResult } from './demo.history.ts';
import { seedDemoCounty } from './demo.seed.ts';

// The demo county here is loaded without history; the test plays its own, small one.
process.env.DEMO_CASES = '0';

const OPTIONS = { cases: 120, days: 30, seed: 7, endAt: new Date('2026-06-24T04:00:00Z') };
const LONG = 600_000;

/** A fresh database with the demo county and a small history on it. */
async function play(): Promise<{ env: TestEnv; result: HistoryResult }> {
  const env = await createTestEnv();
  await seedDemoCounty(env.ctx);
  const result = await generateDemoHistory(env.ctx, OPTIONS);
  return { env, result };
}

/** Counts per type and state, and per type and action, read back from the database. */
async function census(env: TestEnv) {
  const db = env.ctx.database.db;
  const states = await db
    .selectFrom('cases')
    .select(['type', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['type', 'state'])
    .orderBy('type')
    .orderBy('state')
    .execute();
  const actions = await db
    .selectFrom('case_events as e')
    .innerJoin('cases as c', 'c.id', 'e.case_id')
    .select(['c.type', 'e.action', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['c.type', 'e.action'])
    .orderBy('c.type')
    .orderBy('e.action')
    .execute();
  return {
    states: states.map((r) => `${r.type}:${r.state}=${Number(r.n)}`),
    actions: actions.map((r) => `${r.type}:${r.action}=${Number(r.n)}`),
  };
}

let first: { env: TestEnv; result: HistoryResult };

beforeAll(async () => {
  first = await play();
}, LONG);
afterAll(() => first?.env.close());

describe('demo history', () => {
  it('plays the requested number of appeals and events and restores the clock', () => {
    expect(first.result.appeals).toBe(120);
    expect(first.result.events).toBe(20);
    expect(first.result.failures).toBe(0);
    expect(first.env.ctx.clock).toBe(systemClock);
  });

  it('gives every case a timeline that starts with receive', async () => {
    const db = first.env.ctx.database.db;
    const cases = await db.selectFrom('cases').select(['id', 'type']).execute();
    expect(cases.length).toBe(140);
    const firsts = await db
      .selectFrom('case_events')
      .select(['case_id', 'action'])
      .where('seq', '=', 1)
      .execute();
    const byCase = new Map(firsts.map((e) => [e.case_id, e.action]));
    for (const c of cases) expect(byCase.get(c.id), c.id).toBe('receive');
    // Timelines run forward in time.
    const backwards = await db
      .selectFrom('case_events as a')
      .innerJoin('case_events as b', (j) =>
        j.onRef('b.case_id', '=', 'a.case_id').on('b.seq', '=', sql<number>`a.seq + 1`),
      )
      .select('a.id')
      .whereRef('b.at', '<', 'a.at')
      .execute();
    expect(backwards).toEqual([]);
  });

  it('leaves every case in a state of its workflow', async () => {
    const rows = await first.env.ctx.database.db.selectFrom('cases').select(['type', 'state']).execute();
    for (const r of rows) {
      const states: readonly string[] = r.type === 'appeal' ? APPEAL_STATES : EVENT_STATES;
      expect(states, `${r.type} ${r.state}`).toContain(r.state);
    }
  });

  it('closes most appeals (closure rate 0.85–1)', () => {
    const { states, closureRate } = first.result;
    const total = Object.values(states.appeal).reduce((a, b) => a + b, 0);
    expect(total).toBe(120);
    expect(closureRate).toBe((states.appeal.closed ?? 0) / 120);
    expect(closureRate).toBeGreaterThanOrEqual(0.85);
    expect(closureRate).toBeLessThanOrEqual(1);
  });

  it('takes every path at least once', async () => {
    const db = first.env.ctx.database.db;
    const count = async (type: string, action: string, approvedOnly = false) => {
      const row = await db
        .selectFrom('case_events as e')
        .innerJoin('cases as c', 'c.id', 'e.case_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('c.type', '=', type)
        .where('e.action', '=', action)
        .$if(approvedOnly, (q) => q.where(sql<string>`e.payload->>'approved'`, '=', 'true'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    expect(await count('appeal', 'answer_directly')).toBeGreaterThan(0);
    expect(await count('appeal', 'redo')).toBeGreaterThan(0);
    expect(await count('appeal', 'decide_extension', true)).toBeGreaterThan(0);
    expect(await count('appeal', 'request_return')).toBeGreaterThan(0);
    expect(await count('appeal', 'merge')).toBeGreaterThan(0);
    expect(await count('appeal', 'whistle')).toBeGreaterThan(0);
    expect(await count('appeal', 'report')).toBeGreaterThan(0);
    expect(await count('event', 'solve_on_spot')).toBeGreaterThan(0);
    const { states } = first.result;
    expect(states.appeal.merged ?? 0).toBeGreaterThan(0);
    expect(states.appeal.voided ?? 0).toBeGreaterThan(0);
    expect(states.event.closed ?? 0).toBeGreaterThan(0);
  });

  it('sets the citizen on web and app appeals and keeps phones encrypted', async () => {
    const db = first.env.ctx.database.db;
    const online = await db
      .selectFrom('cases')
      .select(['citizen_id', 'contact_phone_enc', 'contact_phone_masked'])
      .where('channel', 'in', ['web', 'app'])
      .execute();
    expect(online.length).toBeGreaterThan(0);
    for (const c of online) expect(c.citizen_id).not.toBeNull();
    const citizens = await db.selectFrom('citizens').select(['phone_enc', 'phone_masked']).execute();
    expect(citizens.length).toBeGreaterThan(0);
    for (const z of citizens) {
      expect(z.phone_enc).not.toContain(z.phone_masked.slice(-4));
      expect(first.env.ctx.cipher.decrypt(z.phone_enc)).toMatch(/^1\d{10}$/);
    }
    // The history's text messages are never sent now.
    const unsent = await db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel', '=', 'sms')
      .where('sent_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(Number(unsent.n)).toBe(0);
  });

  it('acts through handler accounts of the lead units', async () => {
    const db = first.env.ctx.database.db;
    const handlers = await db
      .selectFrom('users')
      .select(['username', 'role'])
      .where('username', 'like', 'h\\_%')
      .execute();
    expect(handlers.length).toBeGreaterThan(0);
    const signers = await db
      .selectFrom('case_events as e')
      .innerJoin('users as u', (j) => j.on(sql`u.id::text`, '=', sql.ref('e.actor_id')))
      .select(['u.username'])
      .where('e.action', '=', 'sign')
      .execute();
    expect(signers.length).toBeGreaterThan(0);
    for (const s of signers) expect(s.username).toMatch(/^h_/);
  });

  it('adds up in the rollups: total received = number of appeals', async () => {
    const row = await first.env.ctx.database.db
      .selectFrom('assessment_rollups')
      .select((eb) => eb.fn.sum<number>('value').as('v'))
      .where('metric', '=', 'appeal:received')
      .executeTakeFirstOrThrow();
    expect(Number(row.v)).toBe(120);
  });

  it(
    'is deterministic: the same seed on a fresh database gives the same counts',
    async () => {
      const a = await census(first.env);
      const second = await play();
      try {
        expect(second.result.states).toEqual(first.result.states);
        expect(await census(second.env)).toEqual(a);
      } finally {
        await second.env.close();
      }
    },
    LONG,
  );
});
