/**
 * The workbench keyword search (`searchCases`) against its definition: a case matches when every
 * whitespace-separated term occurs in its `search_text` (case-sensitive `LIKE '%term%'`), among
 * the cases the staff member may see, newest first. The gram index condition in front of the LIKE
 * (migration 20261130090000_case_search_grams) may only narrow the rows the LIKE has to check, never
 * the answer: each query below is compared with the plain LIKE over the same visible cases.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  createCentre,
  createDepartment,
  createStaff,
  createTownship,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';
import { visibleByDefinition } from '../../../test/visibility.ts';
import type { StaffActor } from '../../authz/actor.ts';
import { caseKeys, PERIOD_SECONDS, periodKey, periodOf } from '../../authz/scope.ts';
import type { DB } from '../../db/schema.ts';
import { escapeLike } from '../orgs/orgs.repository.ts';
import { searchCases, searchTermMatches } from './cases.repository.ts';

let env: TestEnv;
let db: Kysely<DB>;
const C = {} as Record<string, { id: string; code: string }>;
const A = {} as { county: StaffActor; township: StaffActor; department: StaffActor };
let appeal: (key: string, description: string, more?: object) => Promise<void>;

async function actorOf(s: StaffSession): Promise<StaffActor> {
  const u = await db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.username', 'u.role', 'u.org_id', 'u.county_code', 'o.scope_path'])
    .where('u.id', '=', s.userId)
    .executeTakeFirstOrThrow();
  return {
    kind: 'staff',
    userId: u.id,
    username: u.username,
    role: u.role as StaffActor['role'],
    orgId: u.org_id,
    countyCode: u.county_code,
    scopePath: u.scope_path,
  };
}

beforeAll(async () => {
  env = await createTestEnv();
  db = env.ctx.database.db;
  const t1 = await createTownship(env.ctx);
  const v1 = await createVillage(env.ctx, { townshipId: t1 });
  const v2 = await createVillage(env.ctx);
  const dept = await createDepartment(env.ctx);
  const operator = await createStaff(env, 'operator');
  const county = await createStaff(env, 'county_dispatcher', { orgId: operator.orgId });
  A.county = await actorOf(county);
  // The township dispatcher of v1's township (the case in v2 lies outside its territory).
  A.township = await actorOf(
    await createStaff(env, 'township_dispatcher', { orgId: await createCentre(env.ctx, t1) }),
  );
  A.department = await actorOf(await createStaff(env, 'department_handler', { orgId: dept }));

  const op = as(env, operator);
  appeal = async (key: string, description: string, more: object = {}) => {
    const res = await op.post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'JF01',
      description,
      villageId: v1,
      ...more,
    });
    if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`);
    C[key] = res.json().case;
  };
  await appeal('pond', '小区门口积水严重，车辆无法通行', { address: '幸福路LED灯箱旁' });
  await appeal('lamp', '路灯不亮，晚上出行不便', { address: 'Block B 3栋' });
  await appeal('developer', '开发商逾期三个月没有交房，也不给任何说法');
  await appeal('noise', '夜间施工噪声扰民', { title: 'Noise at night 夜间噪声' });
  await appeal('snow', '积雪压断树枝，挡住道路');
  // The characters of 积水 in the other order: has both grams of one character, not the pair.
  await appeal('reversed', '水积在路面上，下雨就滑');
  await appeal('elsewhere', '另一乡镇的小区积水', { villageId: v2 });
  await appeal('sewage', '污水直排河道，气味刺鼻');
  // Sent to the department: it sees this case (and only cases sent to it).
  const sent = await as(env, county).post(`/api/cases/${C.sewage!.id}/actions/dispatch`, {
    input: { leadOrgId: dept, note: '部门职责' },
  });
  if (sent.statusCode !== 200) throw new Error(`dispatch failed: ${sent.body}`);
});
afterAll(() => env?.close());

/** All matching ids through `searchCases`, one page large enough for everything. */
async function search(actor: StaffActor, q: string) {
  const r = await searchCases(db, actor, { queue: 'all', q, limit: 100, offset: 0 }, new Date());
  expect(r.hasMore).toBe(false);
  return r.items.map((i) => i.id);
}

/** The definition: visible (written out plainly), every term by plain LIKE (no index condition), newest first. */
async function byLike(actor: StaffActor, q: string) {
  const terms = q.split(/\s+/).filter(Boolean).slice(0, 5);
  const r = await sql<{ id: string }>`select c.id from cases c where ${visibleByDefinition(actor, 'c')}
    ${sql.join(
      terms.map((t) => sql`and c.search_text like ${`%${escapeLike(t)}%`}`),
      sql` `,
    )}
    order by c.received_at desc, c.id`.execute(db);
  return r.rows.map((x) => x.id);
}

const ids = (...keys: string[]) => keys.map((k) => C[k]!.id);

describe('keyword search through the gram index', () => {
  it('one character: every case holding it, wherever it stands', async () => {
    expect((await search(A.county, '积')).sort()).toEqual(
      ids('pond', 'snow', 'reversed', 'elsewhere').sort(),
    );
    expect(await search(A.county, '积')).toEqual(await byLike(A.county, '积'));
  });

  it('two characters: the pair, not its characters in another order', async () => {
    const found = await search(A.county, '积水');
    expect(found.sort()).toEqual(ids('pond', 'elsewhere').sort());
    expect(found).not.toContain(C.reversed!.id);
    expect(await search(A.county, '水积')).toEqual(ids('reversed'));
  });

  it('five characters', async () => {
    expect(await search(A.county, '开发商逾期')).toEqual(ids('developer'));
    // All its pairs occur in some text, but not together as one run.
    expect(await search(A.county, '积水路面')).toEqual([]);
  });

  it('Latin letters and digits: grams are lower-cased on both sides, the LIKE keeps the case', async () => {
    expect(await search(A.county, 'LED')).toEqual(ids('pond'));
    expect(await search(A.county, 'Block')).toEqual(ids('lamp'));
    expect(await search(A.county, 'Noise')).toEqual(ids('noise'));
    // The search was case-sensitive before the index and stays so.
    expect(await search(A.county, 'led')).toEqual([]);
    expect(await search(A.county, 'NOISE')).toEqual([]);
    expect(await search(A.county, '3栋')).toEqual(ids('lamp'));
    // The tracking code, whole and in part.
    expect(await search(A.county, C.developer!.code)).toEqual(ids('developer'));
    expect(await search(A.county, C.developer!.code.slice(1))).toEqual(ids('developer'));
  });

  it('several terms must all occur', async () => {
    expect(await search(A.county, '积水 严重')).toEqual(ids('pond'));
    expect(await search(A.county, '积水 LED')).toEqual(ids('pond'));
    expect(await search(A.county, '积水 噪声')).toEqual([]);
    expect(await search(A.county, '  路灯   不亮 ')).toEqual(ids('lamp'));
  });

  it('a term found nowhere, and LIKE wildcards as plain characters', async () => {
    expect(await search(A.county, '无此关键词')).toEqual([]);
    expect(await search(A.county, '%')).toEqual([]);
    expect(await search(A.county, '_')).toEqual([]);
    expect(await search(A.county, '积%')).toEqual([]);
  });

  it('equals the plain LIKE answer for every actor and query', async () => {
    const queries = [
      '积',
      '水',
      '积水',
      '水积',
      '小区',
      '开发商逾期',
      '积水路面',
      'LED',
      'led',
      'B',
      'b',
      '3',
      'Block B',
      '积水 严重',
      '小区 积水',
      '无此关键词',
      '%',
      C.pond!.code,
      C.sewage!.code.toLowerCase(),
      '，',
    ];
    let nonEmpty = 0;
    for (const actor of [A.county, A.township, A.department]) {
      for (const q of queries) {
        const want = await byLike(actor, q);
        if (want.length) nonEmpty++;
        expect(await search(actor, q), `${actor.role} "${q}"`).toEqual(want);
      }
    }
    expect(nonEmpty).toBeGreaterThan(20);
    // Visibility still applies: the department sees the case sent to it, nothing of the others.
    expect(await search(A.department, '水')).toEqual(ids('sewage'));
    expect(await search(A.township, '积水')).toEqual(ids('pond'));
  });

  it('pages keep their order and hasMore', async () => {
    const all = await byLike(A.county, '，');
    expect(all.length).toBeGreaterThan(4);
    const seen: string[] = [];
    for (let offset = 0; offset < all.length; offset += 3) {
      const r = await searchCases(db, A.county, { queue: 'all', q: '，', limit: 3, offset }, new Date());
      expect(r.hasMore).toBe(offset + 3 < all.length);
      seen.push(...r.items.map((i) => i.id));
    }
    expect(seen).toEqual(all);
  });

  it('the index can serve the condition searchCases writes', async () => {
    // gz_grams: characters and neighbouring pairs, lower-cased, whitespace left out.
    const g = await sql<{ g: string[]; t: string[]; one: string[] }>`
      select gz_grams(${'Ab 积水　x'}) as g, gz_term_grams(${'积水严重'}) as t, gz_term_grams(${'积'}) as one`.execute(
      db,
    );
    expect([...g.rows[0]!.g].sort()).toEqual(['a', 'ab', 'b', 'x', '水', '积', '积水'].sort());
    expect([...g.rows[0]!.t].sort()).toEqual(['水严', '积水', '严重'].sort());
    expect(g.rows[0]!.one).toEqual(['积']);
    // With sequential scans off, the planner must be able to use the GIN index for the condition:
    // if the query's expression and the index's drifted apart, it could not.
    const plan = await env.ctx.database.transaction(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const r = await sql<Record<string, string>>`explain select c.id from cases c where ${searchTermMatches(
        '积水',
      )}`.execute(trx);
      return r.rows.map((x) => Object.values(x)[0]).join('\n');
    });
    expect(plan).toContain('cases_search_idx');
  });
});

describe('newest periods first', () => {
  const DAY = 86_400_000;
  const TERM = '周期检查样本';
  // Days from now: long ago, around the start of the periods searched first, now, and one case
  // 70 days ahead (a clock running ahead), beyond the periods searched first.
  const OFFSETS = [-400, -200, -100, -45, -40, -31, -2, 0, 70];

  beforeAll(async () => {
    for (const [i, d] of OFFSETS.entries()) {
      await appeal(`period${i}`, `${TERM} ${i} 号`);
      await sql`update cases set received_at = ${new Date(Date.now() + d * DAY)} where id = ${C[`period${i}`]!.id}`.execute(
        db,
      );
    }
    // Sent to the department by a plain insert: the trigger on case_units gives it the case's key.
    await sql`insert into case_units (case_id, org_id, relation, county_code, assigned_at)
      values (${C.period7!.id}, ${A.department.orgId}, 'assist', ${A.department.countyCode}, now())`.execute(
      db,
    );
  });

  async function expectPages(actor: StaffActor, now: Date) {
    const want = await byLike(actor, TERM);
    expect(want.length).toBeGreaterThan(0);
    for (const limit of [1, 2, 3, 5, 20]) {
      for (const offset of [0, 1, 4]) {
        const r = await searchCases(db, actor, { queue: 'all', q: TERM, limit, offset }, now);
        expect(
          r.items.map((x) => x.id),
          `${actor.role} ${limit}@${offset}`,
        ).toEqual(want.slice(offset, offset + limit));
        expect(r.hasMore).toBe(want.length > offset + limit);
      }
    }
  }

  it('the period keys of the server and of the database agree', async () => {
    const at = [
      new Date(0),
      new Date(PERIOD_SECONDS * 1000 - 1),
      new Date(PERIOD_SECONDS * 1000),
      new Date('2026-11-30T23:59:59.999+08:00'),
      new Date(Date.now()),
    ];
    for (const d of at) {
      const r = await sql<{
        keys: string[];
      }>`select gz_case_keys('/a/', null, null, ${d}, '{}') as keys`.execute(db);
      expect(r.rows[0]!.keys[0], d.toISOString()).toBe(periodKey(periodOf(d)));
    }
  });

  it('the newest periods hold the newest cases: the index finds them by their key', async () => {
    const now = new Date();
    const p = periodOf(now);
    const recent = [p - 1, p, p + 1].map(periodKey);
    const r = await sql<{ id: string }>`select c.id from cases c where ${caseKeys('c')} && ${recent}::text[]
      and c.search_text like ${`%${TERM}%`}`.execute(db);
    const found = r.rows.map((x) => x.id);
    // -2 days and now are in them; 400 days ago is not.
    expect(found).toContain(C.period6!.id);
    expect(found).toContain(C.period7!.id);
    expect(found).not.toContain(C.period0!.id);
  });

  it('a case newer than the periods searched first still comes first', async () => {
    await expectPages(A.county, new Date());
    await expectPages(A.township, new Date());
    const r = await searchCases(db, A.county, { queue: 'all', q: TERM, limit: 1, offset: 0 }, new Date());
    expect(r.items[0]!.id).toBe(C.period8!.id);
  });

  it('pages equal the whole search when the newest periods fill them, and when they do not', async () => {
    await sql`update cases set received_at = ${new Date(Date.now() - 500 * DAY)} where id = ${C.period8!.id}`.execute(
      db,
    );
    for (const actor of [A.county, A.township, A.department]) await expectPages(actor, new Date());
    // Searched as if it were a year later: the newest periods hold none of them.
    await expectPages(A.county, new Date(Date.now() + 365 * DAY));
  });
});
