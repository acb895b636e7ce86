import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCentre,
  createDepartment,
  createStaff,
  createVillage,
  ensureCounty,
  type StaffSession,
} from '../../../test/factories.ts';
import { route } from '../../engine/routing.ts';
import { listCategories, patchCategory } from './categories.service.ts';

let env: TestEnv;
let admin: StaffSession;
let operator: StaffSession;
let handler: StaffSession;
let expert: StaffSession;

interface Group {
  code: string;
  name: string;
  nameEn: string;
  children: { code: string; name: string; nameEn: string }[];
}

const db = () => env.ctx.database.db;
const category = (id: string) =>
  db().selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const auditsOf = (id: string) =>
  db()
    .selectFrom('audit_log')
    .select(['action', 'detail'])
    .where('target_id', '=', id)
    .orderBy('id')
    .execute();
const publicTree = async (query = '') => {
  const res = await as(env, null).get(`/api/public/categories${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().groups as Group[];
};

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  admin = await createStaff(env, 'admin');
  operator = await createStaff(env, 'operator');
  handler = await createStaff(env, 'village_handler');
  expert = await createStaff(env, 'expert');
});
afterAll(() => env.close());

describe('GET /api/public/categories', () => {
  it('answers without a session: ~18 groups with their categories, codes and names only, cacheable', async () => {
    const res = await as(env, null).get('/api/public/categories');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const groups = res.json().groups as Group[];
    expect(groups.length).toBeGreaterThanOrEqual(16);
    expect(groups.length).toBeLessThanOrEqual(20);
    for (const g of groups) {
      expect(Object.keys(g).sort()).toEqual(['children', 'code', 'name', 'nameEn']);
      expect(g.code).toMatch(/^[A-Z]{2}$/);
      expect(g.children.length).toBeGreaterThan(0);
      for (const c of g.children) {
        expect(Object.keys(c).sort()).toEqual(['code', 'name', 'nameEn']);
        expect(c.code.startsWith(g.code)).toBe(true);
      }
    }
    const cj = groups.find((g) => g.code === 'CJ')!;
    expect(cj.name).toBe('城乡建设');
    expect(cj.children.map((c) => c.code)).toContain('CJ01');
  });

  it('leaves out internal (non-public) categories', async () => {
    const hidden = await db().selectFrom('categories').select('id').where('public', '=', false).execute();
    expect(hidden.length).toBeGreaterThan(0);
    const codes = (await publicTree()).flatMap((g) => [g.code, ...g.children.map((c) => c.code)]);
    for (const { id } of hidden) expect(codes).not.toContain(id);
  });

  it('filters by case type', async () => {
    const events = await publicTree('?type=event');
    const appeals = await publicTree('?type=appeal');
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(appeals.length);
    const types = new Map(
      (await db().selectFrom('categories').select(['id', 'case_types']).execute()).map((c) => [
        c.id,
        c.case_types,
      ]),
    );
    for (const g of events) for (const c of g.children) expect(types.get(c.code)).toContain('event');
    for (const g of appeals) for (const c of g.children) expect(types.get(c.code)).toContain('appeal');
    // The appeal-only consultations group has no event categories.
    expect(events.map((g) => g.code)).not.toContain('ZX');
    const bad = await as(env, null).get('/api/public/categories?type=dispute');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('never shows an inactive category, nor the children of an inactive group', async () => {
    const c = await category('JC02');
    const g = await category('ZR');
    expect(
      (await as(env, admin).patch('/api/categories/JC02', { active: false, version: c.version })).statusCode,
    ).toBe(200);
    expect(
      (await as(env, admin).patch('/api/categories/ZR', { active: false, version: g.version })).statusCode,
    ).toBe(200);
    const groups = await publicTree();
    const codes = groups.flatMap((x) => [x.code, ...x.children.map((y) => y.code)]);
    expect(codes).not.toContain('JC02');
    expect(codes).toContain('JC01');
    expect(groups.map((x) => x.code)).not.toContain('ZR');
    expect(codes.some((code) => code.startsWith('ZR'))).toBe(false);
    const inactive = await db().selectFrom('categories').select('id').where('active', '=', false).execute();
    for (const { id } of inactive) expect(codes).not.toContain(id);
  });
});

describe('GET /api/categories', () => {
  it('answers 401 without a session and 403 to staff who neither read cases nor manage categories', async () => {
    expect((await as(env, null).get('/api/categories')).statusCode).toBe(401);
    const res = await as(env, expert).get('/api/categories');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it('lists every category with its routing settings for case readers and admins', async () => {
    const total = (
      await db().selectFrom('categories').select('id').where('county_code', '=', COUNTY).execute()
    ).length;
    for (const s of [operator, admin]) {
      const res = await as(env, s).get('/api/categories');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().total).toBe(total);
    }
    const items = (await as(env, operator).get('/api/categories')).json().items as {
      id: string;
      parentId: string | null;
      level: string;
      defaultOrg: { id: string; name: string } | null;
      urgency: string;
      replyLimit: { amount: number; unit: string };
      active: boolean;
      version: number;
    }[];
    const jt08 = items.find((c) => c.id === 'JT08')!;
    expect(jt08).toMatchObject({
      parentId: 'JT',
      urgency: 'emergency',
      replyLimit: { amount: 2, unit: 'hours' },
      active: true,
    });
    expect(items.find((c) => c.id === 'ZX')).toMatchObject({
      level: 'county',
      defaultOrg: { id: COUNTY, name: '南昌县' },
    });
    // Parents come before their children.
    const at = new Map(items.map((c, i) => [c.id, i]));
    for (const c of items) if (c.parentId) expect(at.get(c.parentId)!).toBeLessThan(at.get(c.id)!);
    const events = (await as(env, operator).get('/api/categories?type=event')).json().items as {
      id: string;
    }[];
    expect(events.length).toBeLessThan(items.length);
    expect(events.map((c) => c.id)).toContain('JT08');
  });
});

describe('PATCH /api/categories/:id', () => {
  it('answers 401 without a session and 400 for a malformed id or body', async () => {
    expect((await as(env, null).patch('/api/categories/JT01', { version: 1 })).statusCode).toBe(401);
    const badId = await as(env, admin).patch('/api/categories/jt-1', { version: 1 });
    expect(badId.statusCode).toBe(400);
    const noVersion = await as(env, admin).patch('/api/categories/JT01', { name: 'x' });
    expect(noVersion.statusCode).toBe(400);
    expect(noVersion.json().error.details.map((d: { field: string }) => d.field)).toContain('version');
  });

  it('refuses bad reply limits with 400 on the field, changing nothing', async () => {
    const before = await category('JT03');
    const cases: [unknown, string][] = [
      [{ amount: 0, unit: 'working_days' }, 'replyLimit.amount'],
      [{ amount: 1.5, unit: 'working_days' }, 'replyLimit.amount'],
      [{ amount: 61, unit: 'working_days' }, 'replyLimit.amount'],
      [{ amount: 1000, unit: 'hours' }, 'replyLimit.amount'],
      [{ amount: 5, unit: 'weeks' }, 'replyLimit.unit'],
      [{ amount: 5 }, 'replyLimit.unit'],
    ];
    for (const [replyLimit, field] of cases) {
      const res = await as(env, admin).patch('/api/categories/JT03', { replyLimit, version: before.version });
      expect(res.statusCode, JSON.stringify(replyLimit)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect(await category('JT03')).toEqual(before);
  });

  it('refuses a default unit that is not a department, township, village or the county of this county', async () => {
    const before = await category('JT05');
    const centre = await createCentre(env.ctx, await createVillage(env.ctx));
    const village = await createVillage(env.ctx);
    for (const defaultOrgId of [centre, '360121999999', '110101']) {
      const res = await as(env, admin).patch('/api/categories/JT05', {
        defaultOrgId,
        version: before.version,
      });
      expect(res.statusCode, defaultOrgId).toBe(400);
      expect(res.json().error.details).toEqual([{ field: 'defaultOrgId', message: expect.any(String) }]);
    }
    // A department-level category must be sent to a department.
    const res = await as(env, admin).patch('/api/categories/JT05', {
      level: 'department',
      defaultOrgId: village,
      version: before.version,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('defaultOrgId');
    expect(await category('JT05')).toEqual(before);
  });

  it('refuses non-admins with 403 and changes nothing', async () => {
    const before = await category('JT06');
    for (const s of [operator, handler, expert]) {
      const res = await as(env, s).patch('/api/categories/JT06', {
        level: 'village',
        version: before.version,
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect(await category('JT06')).toEqual(before);
    expect(await auditsOf('JT06')).toEqual([]);
  });

  it('answers 404 for an unknown category', async () => {
    const res = await as(env, admin).patch('/api/categories/XX99', { name: '无', version: 1 });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('answers 404 to an admin of another county, and changes nothing', async () => {
    // Sessions carry the server's county, so the service is called with another county's admin.
    const stranger = {
      kind: 'staff' as const,
      userId: '00000000-0000-4000-8000-000000000001',
      username: 'beijingadmin',
      role: 'admin' as const,
      orgId: '110101',
      countyCode: '110101',
      scopePath: '/110101/',
    };
    const before = await category('JT07');
    await expect(
      patchCategory(env.ctx, stranger, 'JT07', { name: '外县改的', version: before.version }, {}),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await category('JT07')).toEqual(before);
    expect((await listCategories(env.ctx, stranger, {})).items).toEqual([]);
  });

  it('changes routing for new cases: a category set to village level goes to the village', async () => {
    const villageId = await createVillage(env.ctx);
    const deptId = await createDepartment(env.ctx);
    const before = await route(db(), COUNTY, { villageId, categoryId: 'JT01' });
    expect(before.level).not.toBe('village');
    expect(before.suggestedLeadOrgId).not.toBe(villageId);

    const v = (await category('JT01')).version;
    const res = await as(env, admin).patch('/api/categories/JT01', { level: 'village', version: v });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().category).toMatchObject({ id: 'JT01', level: 'village', version: v + 1 });
    const after = await route(db(), COUNTY, { villageId, categoryId: 'JT01' });
    expect(after).toMatchObject({ level: 'village', suggestedLeadOrgId: villageId });

    // Back to a department, now a real one: cases go there.
    const res2 = await as(env, admin).patch('/api/categories/JT01', {
      level: 'department',
      defaultOrgId: deptId,
      urgency: 'urgent',
      replyLimit: { amount: 5, unit: 'working_days' },
      version: v + 1,
    });
    expect(res2.statusCode, res2.body).toBe(200);
    expect(res2.json().category).toMatchObject({
      level: 'department',
      defaultOrg: { id: deptId },
      urgency: 'urgent',
      replyLimit: { amount: 5, unit: 'working_days' },
    });
    expect(await route(db(), COUNTY, { villageId, categoryId: 'JT01' })).toMatchObject({
      level: 'department',
      suggestedLeadOrgId: deptId,
    });
    const row = await category('JT01');
    expect(row.department_key).toBe('test');

    // And a case received through the API follows it.
    const created = await as(env, operator).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'JT01',
      description: '村口道路出现大坑，车辆无法通行。',
      villageId,
    });
    expect(created.statusCode, created.body).toBe(201);
    const c = await db()
      .selectFrom('cases')
      .select(['routing', 'urgency'])
      .where('id', '=', created.json().case.id)
      .executeTakeFirstOrThrow();
    expect(c.urgency).toBe('urgent');
    expect((c.routing as { suggestedLeadOrgId: string }).suggestedLeadOrgId).toBe(deptId);

    const audits = await auditsOf('JT01');
    expect(audits.map((a) => a.action)).toEqual(['category.updated', 'category.updated']);
    expect(audits[0]!.detail).toMatchObject({ before: { level: 'department' }, after: { level: 'village' } });
  });

  it('answers 409 CONFLICT to a stale version and keeps the first change', async () => {
    const v = (await category('JT04')).version;
    const first = await as(env, admin).patch('/api/categories/JT04', { name: '违法停车（新）', version: v });
    expect(first.statusCode).toBe(200);
    const stale = await as(env, admin).patch('/api/categories/JT04', { name: '再改', version: v });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    expect((await category('JT04')).name).toBe('违法停车（新）');
  });
});

describe('POST /api/categories', () => {
  const body = {
    code: 'ZX90',
    name: '网上办事咨询',
    nameEn: 'Online services enquiry',
    keywords: ['网上办'],
  };

  it('answers 401, 400 and 403 before creating anything', async () => {
    expect((await as(env, null).post('/api/categories', body)).statusCode).toBe(401);
    for (const code of ['CJ1', 'cj90', 'CJ', 'CJ901']) {
      const res = await as(env, admin).post('/api/categories', { ...body, code });
      expect(res.statusCode, code).toBe(400);
      expect(res.json().error.details[0].field).toBe('code');
    }
    const noGroup = await as(env, admin).post('/api/categories', { ...body, code: 'XY01' });
    expect(noGroup.statusCode).toBe(400);
    expect(noGroup.json().error.details[0].field).toBe('code');
    const forbidden = await as(env, operator).post('/api/categories', body);
    expect(forbidden.statusCode).toBe(403);
    expect(
      await db().selectFrom('categories').select('id').where('id', 'in', ['ZX90', 'XY01']).execute(),
    ).toEqual([]);
  });

  it('adds a category under its group with the group’s settings, shown to the public', async () => {
    const res = await as(env, admin).post('/api/categories', body);
    expect(res.statusCode, res.body).toBe(201);
    const cj = await category('ZX');
    expect(res.json().category).toMatchObject({
      id: 'ZX90',
      parentId: 'ZX',
      name: '网上办事咨询',
      defaultOrg: { id: COUNTY },
      level: cj.level,
      urgency: cj.urgency,
      replyLimit: { amount: cj.reply_limit_amount, unit: cj.reply_limit_unit },
      caseTypes: cj.case_types,
      active: true,
      version: 1,
    });
    const group = (await publicTree()).find((g) => g.code === 'ZX')!;
    expect(group.children.at(-1)).toEqual({
      code: 'ZX90',
      name: '网上办事咨询',
      nameEn: 'Online services enquiry',
    });
    expect((await auditsOf('ZX90')).map((a) => a.action)).toEqual(['category.created']);

    const village = await createVillage(env.ctx);
    const own = await as(env, admin).post('/api/categories', {
      code: 'CJ91',
      name: '村内危房排查',
      level: 'village',
      replyLimit: { amount: 3, unit: 'working_days' },
      caseTypes: ['event'],
      public: false,
    });
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json().category).toMatchObject({ level: 'village', defaultOrg: null, caseTypes: ['event'] });
    expect(await route(db(), COUNTY, { villageId: village, categoryId: 'CJ91' })).toMatchObject({
      suggestedLeadOrgId: village,
    });
  });

  it('answers 409 DUPLICATE for a code in use', async () => {
    const res = await as(env, admin).post('/api/categories', { ...body, code: 'CJ01' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('DUPLICATE');
    expect((await category('CJ01')).name).toBe('违章建筑');
  });

  it('refuses a bad reply limit or default unit with 400', async () => {
    const limit = await as(env, admin).post('/api/categories', {
      code: 'CJ92',
      name: '测试',
      replyLimit: { amount: 100, unit: 'working_days' },
    });
    expect(limit.statusCode).toBe(400);
    expect(limit.json().error.details[0].field).toBe('replyLimit.amount');
    const unit = await as(env, admin).post('/api/categories', {
      code: 'CJ92',
      name: '测试',
      level: 'department',
      defaultOrgId: null,
    });
    expect(unit.statusCode).toBe(400);
    expect(unit.json().error.details[0].field).toBe('defaultOrgId');
    expect(await db().selectFrom('categories').select('id').where('id', '=', 'CJ92').execute()).toEqual([]);
  });
});
