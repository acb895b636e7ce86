/**
 * Group commit of intakes (intake.ts): appeals that arrive while a batch is being written are
 * written together in the next one — one statement for their codes, one transaction for their
 * rows. Each must come out exactly as if it had been received alone, and one bad appeal in a batch
 * must cost the others nothing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { COUNTY, createCitizen, createVillage } from '../../test/factories.ts';
import type { Actor } from '../authz/actor.ts';
import { AppError } from '../lib/errors.ts';
import { type IntakeInput, receiveCase } from './intake.ts';
import { chinaDay } from './rollups.ts';

let env: TestEnv;
let villageId: string;
let citizens: Actor[];
const db = () => env.ctx.database.db;

beforeAll(async () => {
  env = await createTestEnv();
  villageId = await createVillage(env.ctx);
  citizens = [];
  for (let i = 0; i < 4; i++)
    citizens.push({ kind: 'citizen', citizenId: (await createCitizen(env.ctx)).id, countyCode: COUNTY });
});
afterAll(() => env.close());

const appeal = (n: number, extra: Partial<IntakeInput> = {}): IntakeInput => ({
  type: 'appeal',
  channel: 'web',
  categoryId: 'SR01',
  description: `第${n}件：路灯不亮，晚上看不清路`,
  villageId,
  ...extra,
});

async function receivedToday(): Promise<number> {
  const r = await db()
    .selectFrom('assessment_rollups')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('value'), eb.lit(0)).as('n'))
    .where('county_code', '=', COUNTY)
    .where('metric', '=', 'appeal:received')
    .where('day', '=', chinaDay(env.ctx.clock.now()))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('intakes written together', () => {
  it('many at once: each its own case, code, first event, deadline, outbox rows and rollup count', async () => {
    const before = await receivedToday();
    const n = 16;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => receiveCase(env.ctx, citizens[i % citizens.length]!, appeal(i))),
    );
    const ids = results.map((r) => r.case.id);
    expect(new Set(ids).size).toBe(n);
    expect(results.every((r) => !r.replayed)).toBe(true);
    // Codes: distinct, and each the one written on its own case.
    const codes = results.map((r) => r.case.code);
    expect(new Set(codes).size).toBe(n);
    const rows = await db()
      .selectFrom('cases')
      .select(['id', 'code', 'description'])
      .where('id', 'in', ids)
      .execute();
    for (const [i, r] of results.entries()) {
      const row = rows.find((x) => x.id === r.case.id)!;
      expect(row.code).toBe(r.case.code);
      expect(row.description).toBe(`第${i}件：路灯不亮，晚上看不清路`);
    }
    const events = await db()
      .selectFrom('case_events')
      .select(['case_id', 'seq', 'action'])
      .where('case_id', 'in', ids)
      .execute();
    expect(events).toHaveLength(n);
    expect(events.every((e) => e.seq === 1 && e.action === 'receive')).toBe(true);
    const deadlines = await db()
      .selectFrom('case_deadlines')
      .select('case_id')
      .where('case_id', 'in', ids)
      .execute();
    expect(new Set(deadlines.map((d) => d.case_id)).size).toBe(n);
    for (const r of results) if (!r.replayed) expect(r.written.deadlines).toHaveLength(1);
    // The citizen's acknowledgement (in-app and SMS) names that case's own code.
    const outbox = await db()
      .selectFrom('notifications')
      .select(['case_id', 'channel', 'title', 'recipient_id'])
      .where('case_id', 'in', ids)
      .execute();
    expect(outbox).toHaveLength(2 * n);
    for (const r of results) {
      const mine = outbox.filter((o) => o.case_id === r.case.id);
      expect(mine.map((o) => o.channel).sort()).toEqual(['inapp', 'sms']);
      expect(mine.every((o) => o.title.includes(r.case.code) && o.recipient_id === r.case.citizen_id)).toBe(
        true,
      );
    }
    // All in one village, category and day: their counts land on shared rollup rows, summed.
    expect(await receivedToday()).toBe(before + n);
    // And they were written in fewer transactions than cases (xmin: the writing transaction).
    const xmins = await sql<{
      n: number;
    }>`select count(distinct xmin::text)::int as n from cases where id in (${sql.join(ids)})`.execute(db());
    expect(xmins.rows[0]!.n).toBeLessThan(n);
  });

  it('a bad appeal among them fails alone, with its own error; the others are written', async () => {
    const before = await receivedToday();
    const bad = appeal(99, { attachments: ['00000000-0000-4000-8000-000000000000'] });
    const settled = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, i) =>
        receiveCase(env.ctx, citizens[i % citizens.length]!, appeal(100 + i)),
      ),
      receiveCase(env.ctx, citizens[0]!, bad),
      ...Array.from({ length: 6 }, (_, i) =>
        receiveCase(env.ctx, citizens[i % citizens.length]!, appeal(200 + i)),
      ),
    ]);
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed).toHaveLength(1);
    const reason = (failed[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(AppError);
    expect((reason as AppError).code).toBe('VALIDATION_FAILED');
    expect(await receivedToday()).toBe(before + 12);
    const written = await db()
      .selectFrom('cases')
      .select('id')
      .where('description', '=', '第99件：路灯不亮，晚上看不清路')
      .execute();
    expect(written).toHaveLength(0);
  });

  it('two submissions with one key at once make one case; the second answers it as a replay', async () => {
    const key = `batch-key-${Date.now()}`;
    const [a, b] = await Promise.all([
      receiveCase(env.ctx, citizens[1]!, appeal(300, { idempotencyKey: key })),
      receiveCase(env.ctx, citizens[1]!, appeal(300, { idempotencyKey: key })),
    ]);
    expect(a!.case.id).toBe(b!.case.id);
    expect([a!.replayed, b!.replayed].sort()).toEqual([false, true]);
    const n = await db()
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('idempotency_key', '=', key)
      .executeTakeFirstOrThrow();
    expect(n.n).toBe(1);
  });
});
