/**
 * `caseVisibleTo` answers the visibility rule from keys (`gz_case_keys` over the case's path, lead,
 * reporter, received time and `unit_ids`, which triggers on case_units keep). Here it is compared
 * with the rule written out plainly (test/visibility.ts) for every staff member of the demo county
 * over a played history (dispatches, reassignments, assists, whistles), and again after case_units
 * is changed by plain SQL behind the engine's back.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { visibleByDefinition } from '../../test/visibility.ts';
import { generateDemoHistory } from '../modules/demo/demo.history.ts';
import { seedDemoCounty } from '../modules/demo/demo.seed.ts';
import type { StaffActor } from './actor.ts';
import { caseVisibleTo } from './scope.ts';

process.env.DEMO_CASES = '0';

let env: TestEnv;
let actors: StaffActor[];

beforeAll(async () => {
  env = await createTestEnv();
  await seedDemoCounty(env.ctx);
  await generateDemoHistory(env.ctx, { cases: 150, days: 30, seed: 11, endAt: new Date() });
  const users = await env.ctx.database.db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.username', 'u.role', 'u.org_id', 'u.county_code', 'o.scope_path'])
    .where('u.role', 'is not', null)
    .execute();
  actors = users.map((u) => ({
    kind: 'staff',
    userId: u.id,
    username: u.username,
    role: u.role as StaffActor['role'],
    orgId: u.org_id!,
    countyCode: u.county_code,
    scopePath: u.scope_path,
  }));
}, 600_000);
afterAll(() => env?.close());

async function ids(where: ReturnType<typeof caseVisibleTo>) {
  const r = await sql<{ id: string }>`select c.id from cases c where ${where} order by c.id`.execute(
    env.ctx.database.db,
  );
  return r.rows.map((x) => x.id);
}

/** Every actor sees by the keys exactly what the plain rule gives; returns how many see more than their territory. */
async function expectSameForEveryone(): Promise<number> {
  let beyondTerritory = 0;
  for (const actor of actors) {
    const want = await ids(visibleByDefinition(actor, 'c'));
    expect(await ids(caseVisibleTo(actor, 'c')), `${actor.username} (${actor.role})`).toEqual(want);
    const territory = await ids(sql<boolean>`c.path like ${`${actor.scopePath}%`}`);
    if (want.some((id) => !territory.includes(id))) beyondTerritory++;
  }
  return beyondTerritory;
}

async function unitIdsDrift(): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from cases c
    where c.unit_ids is distinct from coalesce((select array_agg(distinct cu.org_id order by cu.org_id)
      from case_units cu where cu.case_id = c.id), '{}')`.execute(env.ctx.database.db);
  return r.rows[0]!.n;
}

describe('visibility from case keys', () => {
  it('matches the plain rule for every staff member of the demo county', async () => {
    expect(actors.length).toBeGreaterThan(20);
    expect(await unitIdsDrift()).toBe(0);
    const units = await sql<{
      n: number;
    }>`select count(*)::int as n from cases where cardinality(unit_ids) > 1`.execute(env.ctx.database.db);
    expect(units.rows[0]!.n).toBeGreaterThan(0);
    // Departments and others see cases outside their territory: the unit keys are exercised.
    expect(await expectSameForEveryone()).toBeGreaterThan(3);
  });

  it('follows case_units written by plain SQL: update, delete, insert', async () => {
    const db = env.ctx.database.db;
    const dept = actors.find((a) => a.role === 'department_handler')!;
    const other = actors.find((a) => a.role === 'department_handler' && a.orgId !== dept.orgId)!;
    expect(other).toBeDefined();
    // Every row of one department handed to another in one statement.
    const moved = await sql`update case_units set org_id = ${other.orgId}
      where org_id = ${dept.orgId} and not exists (select 1 from case_units x
        where x.case_id = case_units.case_id and x.org_id = ${other.orgId} and x.relation = case_units.relation)`.execute(
      db,
    );
    expect(Number(moved.numAffectedRows)).toBeGreaterThan(0);
    expect(await unitIdsDrift()).toBe(0);
    // Half of the assisting rows removed.
    await sql`delete from case_units where relation = 'assist' and case_id::text < '8'`.execute(db);
    expect(await unitIdsDrift()).toBe(0);
    // The department assists on ten cases outside its reach.
    const ten = await sql<{ id: string; county_code: string }>`select id, county_code from cases c
      where not ${visibleByDefinition(dept, 'c')} order by id limit 10`.execute(db);
    expect(ten.rows.length).toBe(10);
    await sql`insert into case_units (case_id, org_id, relation, county_code, assigned_at)
      select id, ${dept.orgId}, 'assist', county_code, now() from cases where id in (${sql.join(ten.rows.map((r) => r.id))})`.execute(
      db,
    );
    expect(await unitIdsDrift()).toBe(0);
    const seen = await ids(caseVisibleTo(dept, 'c'));
    for (const r of ten.rows) expect(seen).toContain(r.id);
    await expectSameForEveryone();
  });
});
