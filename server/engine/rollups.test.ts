import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../common/roles.ts';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import {
  COUNTY,
  createCitizen,
  createDepartment,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../test/factories.ts';
import type { Actor, StaffActor } from '../authz/actor.ts';
import { actingUnitOf } from '../authz/scope.ts';
import type { CaseRow } from '../db/schema.ts';
import { FixedClock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { mayTake, perform } from './engine.ts';
import { receiveCase } from './intake.ts';
import { workflowOf } from './registry.ts';
import { chinaDay, countyPath, monthOf, townshipPath, yearOf } from './rollups.ts';
import { sweepOverdue, sweepWarnings } from './sweep.ts';
import type { ActionDef, Relation } from './workflow.ts';

/*
 * The rollups are a cache of the event log. After a long random (seeded, so repeatable) run of
 * actions over ~60 cases — the clock moving on and the sweeps running in between — the
 * `assessment_rollups` table must equal (1) the sum of every event's `payload.m` grouped by the
 * China day of the event and its attribution (`payload.attr`) — and `assessment_rollups_coarse`
 * the same sums by year, month or day and township path, unit or both — and (2) an independent count of a few metrics
 * from the current `cases` (and deadlines, whistles) tables.
 */

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = 20260302;
const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (p: number) => rand() < p;

let env: TestEnv;
let clock: FixedClock;
let villages: string[];
let depts: string[];
const actors: { name: string; actor: Actor }[] = [];
const citizens: Actor[] = [];
let gridWorker: StaffActor;
let operator: StaffActor;

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
  clock = new FixedClock(new Date('2026-03-02T08:30:00+08:00')); // Monday
  env.ctx.clock = clock;
  villages = [await createVillage(env.ctx), await createVillage(env.ctx), await createVillage(env.ctx)];
  depts = [await createDepartment(env.ctx), await createDepartment(env.ctx)];
  const op = await createStaff(env, 'operator');
  operator = await actorOf(op);
  actors.push({ name: 'operator', actor: operator });
  for (const role of ['county_dispatcher', 'supervisor', 'revisit_agent'] as const) {
    actors.push({ name: role, actor: await actorOf(await createStaff(env, role, { orgId: op.orgId })) });
  }
  for (const v of villages) {
    actors.push({
      name: `village ${v}`,
      actor: await actorOf(await createStaff(env, 'village_handler', { orgId: v })),
    });
  }
  for (const d of depts) {
    actors.push({
      name: `dept ${d}`,
      actor: await actorOf(await createStaff(env, 'department_handler', { orgId: d })),
    });
  }
  gridWorker = await actorOf(await createStaff(env, 'grid_worker', { orgId: villages[0]! }));
  actors.push({ name: 'grid worker', actor: gridWorker });
  for (let i = 0; i < 2; i++) {
    const c = await createCitizen(env.ctx, { homeOrgId: villages[i]! });
    const actor: Actor = { kind: 'citizen', citizenId: c.id, countyCode: COUNTY };
    citizens.push(actor);
    actors.push({ name: `citizen ${i}`, actor });
  }
});
afterAll(() => env.close());

/** Categories the run draws from: village, department, township, county and urgent ones. */
const APPEAL_CATEGORIES = ['JF01', 'JF01', 'CJ03', 'JF04', 'ZW02', 'SR01'];
const EVENT_CATEGORIES = ['JF01', 'SR03'];
const MAIN = new Set([
  'dispatch',
  'sign',
  'first_contact',
  'reply',
  'audit',
  'revisit',
  'rate',
  'close',
  'handle',
  'verify',
  'assist_reply',
  'report',
]);

/** Side paths worth seeing often: returns, extensions, redo. */
const SIDE = new Set(['request_return', 'decide_return', 'request_extension', 'decide_extension', 'redo']);

const caseIds: string[] = [];

async function newCase(): Promise<void> {
  const n = caseIds.length;
  const isEvent = n % 5 === 4;
  const by: Actor = isEvent ? gridWorker : n % 7 === 3 ? pick(citizens) : operator;
  const villageId = isEvent ? villages[0]! : pick(villages);
  const r = await receiveCase(env.ctx, by, {
    type: isEvent ? 'event' : 'appeal',
    channel: isEvent ? 'grid' : by.kind === 'citizen' ? 'app' : 'phone',
    categoryId: pick(isEvent ? EVENT_CATEGORIES : APPEAL_CATEGORIES),
    description: `随机诉求 ${n}：小区道路破损，雨天积水。`,
    villageId,
    ...(chance(0.15) ? { urgency: 'urgent' as const } : {}),
  });
  caseIds.push(r.case.id);
}

/** A valid-looking input for an action on a case (the engine may still refuse it). */
async function inputFor(action: string, c: CaseRow, actor: Actor): Promise<Record<string, unknown> | null> {
  const db = env.ctx.database.db;
  const unit = () => pick([c.village_id ?? villages[0]!, ...depts]);
  const whistleOf = async (status: ('pending' | 'reported' | 'done')[]) => {
    if (actor.kind !== 'staff') return undefined;
    return db
      .selectFrom('whistle_reports as r')
      .innerJoin('whistles as w', 'w.id', 'r.whistle_id')
      .select(['r.whistle_id', 'r.department_id'])
      .where('w.case_id', '=', c.id)
      .where('r.status', 'in', status)
      .orderBy('w.created_at')
      .orderBy('r.department_id')
      .execute();
  };
  switch (action) {
    case 'dispatch':
      return {
        leadOrgId: unit(),
        ...(c.type === 'appeal' && chance(0.2) ? { assistOrgIds: [pick(depts)] } : {}),
        note: '按职责派单',
      };
    case 'answer_directly':
      return { answer: '已按政策直接答复。' };
    case 'sign':
      return {};
    case 'first_contact':
      return { method: pick(['phone', 'visit', 'sms']), note: '已联系群众' };
    case 'assist_reply':
      return { reply: '协办意见：同意主办单位方案。' };
    case 'reply':
      return c.type === 'event' ? { result: '已处置完毕' } : { reply: '已办理完毕。', resolved: chance(0.8) };
    case 'audit':
      return { approved: chance(0.85) };
    case 'revisit':
    case 'rate':
      return {
        resolved: chance(0.75),
        satisfaction: pick(['satisfied', 'satisfied', 'basically_satisfied', 'unsatisfied']),
      };
    case 'close':
      return chance(0.6) ? { note: '办结说明' } : {};
    case 'redo':
      return c.satisfaction === 'unsatisfied' || chance(0.1) ? { reason: '群众不满意，重办' } : null;
    case 'request_return':
      return { reason: '不属本单位职责', legalBasis: '三定方案' };
    case 'decide_return':
      return chance(0.5)
        ? { decision: 'redispatch', leadOrgId: unit(), note: '改派' }
        : { decision: 'insist', note: '属你单位职责' };
    case 'request_extension':
      return { days: 1 + Math.floor(rand() * 5), reason: '需现场勘查' };
    case 'decide_extension':
      return c.pending.extension || chance(0.1) ? { approved: chance(0.7), note: '审批意见' } : null;
    case 'reassign':
      return { leadOrgId: unit(), reason: '改派' };
    case 'merge': {
      if (!chance(0.3)) return null;
      const other = pick(caseIds);
      return other === c.id ? null : { intoCaseId: other };
    }
    case 'urge':
      return { message: '请加快办理' };
    case 'supervise':
      return {
        level: pick(['normal', 'yellow', 'red']),
        message: '督办',
        ...(chance(0.5) ? { days: 1 + Math.floor(rand() * 5) } : {}),
      };
    case 'suspend':
      return chance(0.3) ? { reason: '等待鉴定' } : null;
    case 'resume':
      return {};
    case 'void':
      return chance(0.2) ? { reason: '重复来电' } : null;
    case 'whistle':
      return chance(0.3)
        ? {
            departmentIds: [pick(depts)],
            reasonClass: pick(['resident_demand', 'joint_enforcement', 'emergency']),
            message: '需部门到场',
          }
        : null;
    case 'report': {
      const unitId = actor.kind === 'staff' ? actor.orgId : '';
      const w = ((await whistleOf(['pending'])) ?? []).find((x) => x.department_id === unitId);
      return w ? { whistleId: w.whistle_id, responder: '执法队' } : null;
    }
    case 'report_done': {
      const unitId = actor.kind === 'staff' ? actor.orgId : '';
      const w = ((await whistleOf(['reported'])) ?? []).find((x) => x.department_id === unitId);
      return w ? { whistleId: w.whistle_id, actionTaken: '已处置' } : null;
    }
    case 'rate_report': {
      const w = ((await whistleOf(['reported', 'done'])) ?? [])[0];
      return w
        ? { whistleId: w.whistle_id, departmentId: w.department_id, rating: 1 + Math.floor(rand() * 5) }
        : null;
    }
    case 'solve_on_spot':
      return chance(0.4) ? { result: '现场已解决' } : null;
    case 'handle':
      return { note: '正在处置' };
    case 'verify':
      return { passed: chance(0.8) };
    default:
      return null;
  }
}

const performed = new Map<string, number>();
const refused = new Map<string, number>();
let sweeps = 0;

/**
 * How an actor relates to a case, and whether they can see it at all (null) — the rules of
 * `relationsOf` and `caseVisibleTo`, computed here from one read of the case's units so that a step
 * does not cost a query per actor.
 */
function relationsFor(actor: Actor, c: CaseRow, units: { org_id: string; relation: string }[]) {
  const rel = new Set<Relation>();
  if (actor.kind === 'citizen') return c.citizen_id === actor.citizenId ? rel.add('owner') : null;
  if (actor.kind !== 'staff') return null;
  const unit = actingUnitOf(actor);
  if (c.path.startsWith(actor.scopePath)) rel.add('jurisdiction');
  if (c.reporter_user_id === actor.userId) rel.add('reporter');
  if (c.lead_org_id === unit) rel.add('lead');
  const mine = units.filter((u) => u.org_id === unit);
  for (const u of mine) if (u.relation !== 'lead') rel.add(u.relation as Relation);
  return rel.size > 0 || mine.length > 0 ? rel : null;
}

/** One step: a random open case, a random (actor, allowed action) pair, favouring the main path. */
async function step(): Promise<void> {
  const db = env.ctx.database.db;
  const open = new Set(
    (
      await db
        .selectFrom('cases')
        .select('id')
        .where('state', 'not in', ['closed', 'voided', 'merged'])
        .execute()
    ).map((r) => r.id),
  );
  const candidates = caseIds.filter((id) => open.has(id));
  if (candidates.length === 0) return;
  const id = pick(candidates);
  const c = await db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const units = await db
    .selectFrom('case_units')
    .select(['org_id', 'relation'])
    .where('case_id', '=', id)
    .execute();
  const wf = workflowOf(c.type);
  const options: { actor: Actor; action: string; weight: number }[] = [];
  for (const { actor } of actors) {
    const rel = relationsFor(actor, c, units);
    if (!rel) continue;
    for (const [action, def] of Object.entries(wf.actions as Record<string, ActionDef>)) {
      if (!(def.from as readonly string[]).includes(c.state) || !mayTake(def, actor, rel)) continue;
      options.push({ actor, action, weight: MAIN.has(action) ? 12 : SIDE.has(action) ? 4 : 1 });
    }
  }
  if (options.length === 0) return;
  const total = options.reduce((sum, o) => sum + o.weight, 0);
  let r = rand() * total;
  let chosen = options.at(-1)!;
  for (const o of options) {
    r -= o.weight;
    if (r < 0) {
      chosen = o;
      break;
    }
  }
  const input = await inputFor(chosen.action, c, chosen.actor);
  if (!input) return;
  try {
    await perform(env.ctx, chosen.actor, id, chosen.action, input);
    performed.set(chosen.action, (performed.get(chosen.action) ?? 0) + 1);
  } catch (err) {
    // Refusals are part of the game (guards, other units, merging into a closed case); crashes are not.
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    refused.set(`${chosen.action}:${err.code}`, (refused.get(`${chosen.action}:${err.code}`) ?? 0) + 1);
  }
}

describe('assessment rollups', () => {
  // A few hundred transactions on an embedded database: give it time (nothing here measures it).
  it('equal the event log and the case tables after a long random run', { timeout: 300_000 }, async () => {
    for (let i = 0; i < 20; i++) await newCase();
    for (let i = 0; i < 420; i++) {
      if (caseIds.length < 60 && chance(0.12)) await newCase();
      await step();
      // The clock moves on: minutes mostly, sometimes hours or days (over weekends and holidays).
      const minutes = chance(0.7) ? 5 + rand() * 55 : chance(0.8) ? 60 + rand() * 600 : 1440 + rand() * 2880;
      clock.advance(Math.round(minutes) * 60_000);
      if (i % 15 === 14) {
        await sweepWarnings(env.ctx);
        sweeps += await sweepOverdue(env.ctx);
      }
    }
    sweeps += await sweepOverdue(env.ctx);
    const db = env.ctx.database.db;
    const totalPerformed = [...performed.values()].reduce((a, b) => a + b, 0);
    // The run must have done real work, over many kinds of action, with deadlines going overdue.
    expect(caseIds.length).toBe(60);
    expect(totalPerformed).toBeGreaterThanOrEqual(250);
    expect(performed.size, JSON.stringify(Object.fromEntries(performed))).toBeGreaterThanOrEqual(18);
    expect(sweeps).toBeGreaterThan(0);

    // (1) The rollups equal the sums of payload.m grouped by day and attribution.
    const events = await db.selectFrom('case_events').select(['at', 'payload']).execute();
    const expected = new Map<string, number>();
    for (const e of events) {
      const p = e.payload as {
        m?: Record<string, number>;
        mc?: Record<string, number>;
        mcDay?: string;
        attr?: { locId: string; unitId: string; categoryRoot: string };
      };
      expect(p.attr, 'every event carries its attribution').toBeDefined();
      // Event metrics count on the event's day; cohort metrics on the day the case was received.
      const sets: [string, Record<string, number>][] = [[chinaDay(e.at), p.m ?? {}]];
      if (p.mc) sets.push([p.mcDay!, p.mc]);
      for (const [day, metrics] of sets) {
        for (const [metric, v] of Object.entries(metrics)) {
          if (v === 0) continue;
          const key = [day, p.attr!.locId, p.attr!.unitId, p.attr!.categoryRoot, metric].join('|');
          expected.set(key, (expected.get(key) ?? 0) + v);
        }
      }
    }
    const rows = await db
      .selectFrom('assessment_rollups')
      .select([
        sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'),
        'loc_id',
        'unit_id',
        'category_root',
        'metric',
        'value',
        'county_code',
      ])
      .execute();
    const actual = new Map<string, number>();
    for (const r of rows) {
      expect(r.county_code).toBe(COUNTY);
      const key = [r.day, r.loc_id, r.unit_id, r.category_root, r.metric].join('|');
      if (Number(r.value) !== 0) actual.set(key, Number(r.value));
    }
    const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(sorted(actual)).toEqual(sorted(expected));
    expect(actual.size).toBeGreaterThan(100);

    // (1b) The coarse rollups equal the same sums by year, month or day and township path, unit or both.
    const expectedCoarse = new Map<string, number>();
    for (const e of events) {
      const p = e.payload as {
        m?: Record<string, number>;
        mc?: Record<string, number>;
        mcDay?: string;
        attr: { locPath: string; unitId: string };
      };
      const sets: [string, Record<string, number>][] = [[chinaDay(e.at), p.m ?? {}]];
      if (p.mc) sets.push([p.mcDay!, p.mc]);
      for (const [day, metrics] of sets) {
        for (const [metric, v] of Object.entries(metrics)) {
          if (v === 0) continue;
          const township = townshipPath(p.attr.locPath);
          const county = countyPath(p.attr.locPath);
          for (const key of [
            ['day', 'township', day, township, '', metric],
            ['day', 'unit', day, county, p.attr.unitId, metric],
            ...(
              [
                ['month', monthOf(day)],
                ['year', yearOf(day)],
              ] as const
            ).flatMap(([span, start]) => [
              [span, 'township', start, township, '', metric],
              [span, 'unit', start, county, p.attr.unitId, metric],
              [span, 'township_unit', start, township, p.attr.unitId, metric],
            ]),
          ].map((k) => k.join('|'))) {
            expectedCoarse.set(key, (expectedCoarse.get(key) ?? 0) + v);
          }
        }
      }
    }
    const coarseRows = await db
      .selectFrom('assessment_rollups_coarse')
      .select([
        'span',
        'grain',
        sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'),
        'loc_path',
        'unit_id',
        'metric',
        'value',
      ])
      .where('county_code', '=', COUNTY)
      .execute();
    const actualCoarse = new Map<string, number>();
    for (const r of coarseRows) {
      const key = [r.span, r.grain, r.day, r.loc_path, r.unit_id, r.metric].join('|');
      if (Number(r.value) !== 0) actualCoarse.set(key, Number(r.value));
    }
    expect(sorted(actualCoarse)).toEqual(sorted(expectedCoarse));
    // The run spans several months.
    expect(new Set(coarseRows.filter((r) => r.span === 'month').map((r) => r.day)).size).toBeGreaterThan(1);

    // Each deadline went overdue at most once (an approved extension must not reopen one).
    const overdueEvents = await db
      .selectFrom('case_events')
      .select(sql<number>`(payload->>'deadlineId')::int`.as('d'))
      .where('action', '=', 'overdue')
      .execute();
    expect(new Set(overdueEvents.map((e) => e.d)).size).toBe(overdueEvents.length);

    // (2) An independent recount of a few metrics from the current tables.
    const sumOf = async (metric: string) =>
      Number(
        (
          await db
            .selectFrom('assessment_rollups')
            .select(sql<number>`coalesce(sum(value), 0)`.as('v'))
            .where('metric', '=', metric)
            .executeTakeFirstOrThrow()
        ).v,
      );
    const count = async (type: string, where: ReturnType<typeof sql<boolean>>) =>
      Number(
        (
          await db
            .selectFrom('cases')
            .select(sql<number>`count(*)`.as('n'))
            .where('type', '=', type)
            .where(where)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const sumCol = async (type: string, col: 'redo_count' | 'extension_count' | 'return_count') =>
      Number(
        (
          await db
            .selectFrom('cases')
            .select(sql<number>`coalesce(sum(${sql.ref(col)}), 0)`.as('n'))
            .where('type', '=', type)
            .executeTakeFirstOrThrow()
        ).n,
      );
    for (const type of ['appeal', 'event']) {
      expect(await sumOf(`${type}:received`), `${type} received`).toBe(await count(type, sql`true`));
      expect(await sumOf(`${type}:closed`), `${type} closed`).toBe(await count(type, sql`state = 'closed'`));
      expect(await sumOf(`${type}:voided`), `${type} voided`).toBe(await count(type, sql`state = 'voided'`));
      expect(await sumOf(`${type}:dispatched`), `${type} dispatched`).toBe(
        await count(type, sql`dispatched_at is not null`),
      );
      for (const stage of [
        'dispatch',
        'sign',
        'first_contact',
        'reply',
        'audit',
        'revisit',
        'report',
        'supervision',
      ]) {
        const overdue = await db
          .selectFrom('case_deadlines as d')
          .innerJoin('cases as c', 'c.id', 'd.case_id')
          .select(sql<number>`count(*)`.as('n'))
          .where('c.type', '=', type)
          .where('d.stage', '=', stage)
          .where('d.overdue_at', 'is not', null)
          .executeTakeFirstOrThrow();
        expect(await sumOf(`${type}:overdue_${stage}`), `${type} overdue ${stage}`).toBe(Number(overdue.n));
      }
      const whistles = await db
        .selectFrom('whistles as w')
        .innerJoin('cases as c', 'c.id', 'w.case_id')
        .select(sql<number>`count(*)`.as('n'))
        .where('c.type', '=', type)
        .executeTakeFirstOrThrow();
      expect(await sumOf(`${type}:whistles`), `${type} whistles`).toBe(Number(whistles.n));
    }
    expect(await sumOf('appeal:merged')).toBe(await count('appeal', sql`state = 'merged'`));
    // Every rating is on the case until a redo clears it: rated = rated now + redone.
    expect(await sumOf('appeal:rated')).toBe(
      (await count('appeal', sql`satisfaction is not null`)) + (await sumCol('appeal', 'redo_count')),
    );
    expect(await sumOf('appeal:redo')).toBe(await sumCol('appeal', 'redo_count'));
    expect(await sumOf('appeal:extension')).toBe(await sumCol('appeal', 'extension_count'));
    expect(await sumOf('appeal:returned')).toBe(await sumCol('appeal', 'return_count'));
    expect(await sumOf('event:solved_on_spot')).toBe(
      Number(
        (
          await db
            .selectFrom('case_events')
            .select(sql<number>`count(distinct case_id)`.as('n'))
            .where('action', '=', 'solve_on_spot')
            .executeTakeFirstOrThrow()
        ).n,
      ),
    );
  });
});
