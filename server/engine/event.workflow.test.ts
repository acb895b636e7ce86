/**
 * Events (事件) from a grid patrol: the position routes the event to its grid and village with the
 * reasons stored; the grid worker solves small ones on the spot, others go through the township
 * centre to a handler and come back to the grid worker to verify (核查). Intake is idempotent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../common/roles.ts';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import {
  COUNTY,
  createCentre,
  createDepartment,
  createTownship,
  createVillage,
  PASSWORD,
} from '../../test/factories.ts';
import { systemActor } from '../authz/actor.ts';
import { upsertGrids } from '../modules/orgs/orgs.loader.ts';
import { createUser } from '../modules/users/users.service.ts';

let env: TestEnv;

interface Session {
  id: string;
  cookie: string;
  csrf: string;
  ip: string;
}

let ipSerial = 0;
async function staff(role: StaffRole, orgId: string): Promise<Session> {
  const ip = `10.33.0.${++ipSerial}`;
  const username = `event${role.replace(/_/g, '')}${ipSerial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `${role} ${username}`,
    role,
    orgId,
    password: PASSWORD,
  });
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return { id, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken, ip };
}

function call(
  s: Session,
  method: 'GET' | 'POST',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  return env.app.inject({
    method,
    url,
    remoteAddress: s.ip,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...headers },
    ...(method === 'POST' ? { payload: payload ?? {} } : {}),
  });
}
const act = (s: Session, id: string, action: string, input: object = {}) =>
  call(s, 'POST', `/api/cases/${id}/actions/${action}`, { input });

const W = {} as {
  t1: string;
  v1: string;
  grid: string;
  g1: Session;
  v1H: Session;
  t1Disp: Session;
  deptH: Session;
};
/** A point inside the grid (its square is 0.01° on a side around it). */
const INSIDE = { lon: 115.805, lat: 28.705 };

beforeAll(async () => {
  env = await createTestEnv();
  W.t1 = await createTownship(env.ctx);
  W.v1 = await createVillage(env.ctx, { townshipId: W.t1 });
  W.grid = `${W.v1}901`;
  await upsertGrids(
    env.ctx.database.db,
    COUNTY,
    [
      {
        id: W.grid,
        villageId: W.v1,
        name: '一号网格',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [115.8, 28.7],
              [115.81, 28.7],
              [115.81, 28.71],
              [115.8, 28.71],
              [115.8, 28.7],
            ],
          ],
        },
      },
    ],
    new Date(),
  );
  W.g1 = await staff('grid_worker', W.v1);
  await env.ctx.database.db
    .insertInto('user_grids')
    .values({ user_id: W.g1.id, grid_id: W.grid, county_code: COUNTY })
    .execute();
  W.v1H = await staff('village_handler', W.v1);
  W.t1Disp = await staff('township_dispatcher', await createCentre(env.ctx, W.t1));
  W.deptH = await staff('department_handler', await createDepartment(env.ctx));
});
afterAll(() => env.close());

let serial = 0;
function report(description: string, extra: object = {}, headers: Record<string, string> = {}) {
  return call(
    W.g1,
    'POST',
    '/api/cases',
    {
      type: 'event',
      channel: 'grid',
      categoryId: 'NY05',
      description: `${description}（巡查 ${++serial}）`,
      ...INSIDE,
      ...extra,
    },
    headers,
  );
}

/** The event metrics of village V1 (all days), by metric. */
async function eventMetrics(): Promise<Record<string, number>> {
  const rows = await env.ctx.database.db
    .selectFrom('assessment_rollups')
    .select(['metric', (eb) => eb.fn.sum<string>('value').as('total')])
    .where('loc_id', '=', W.v1)
    .where('metric', 'like', 'event:%')
    .groupBy('metric')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.metric.slice('event:'.length), Number(r.total)]));
}

describe('a grid worker reports an event', () => {
  it('routes it by position to the grid and village, keeps the reasons, and may solve it on the spot', async () => {
    const before = await eventMetrics();
    const res = await report('路边堆放柴草，影响村容', { address: '村口小卖部旁' });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json().case;
    expect(c).toMatchObject({
      type: 'event',
      state: 'reported',
      channel: 'grid',
      location: { gridId: W.grid, villageId: W.v1, townshipId: W.t1, lon: INSIDE.lon, lat: INSIDE.lat },
    });
    expect(c.code).toMatch(/^E\d{10}$/);
    expect(c.routing).toMatchObject({
      gridId: W.grid,
      villageId: W.v1,
      level: 'village',
      suggestedLeadOrgId: W.v1,
    });
    const row = await env.ctx.database.db
      .selectFrom('cases')
      .select(['path', 'routing', 'reporter_user_id'])
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(row.path).toBe(`/${COUNTY}/${W.t1}/${W.v1}/${W.grid}/`);
    expect(row.reporter_user_id).toBe(W.g1.id);
    // The answer adds the suggested unit's name (its reader may not see that unit); the rest is stored.
    const { suggestedLeadOrgName, ...stored } = c.routing;
    expect(row.routing).toEqual(stored);
    const village = await env.ctx.database.db
      .selectFrom('org_units')
      .select('name')
      .where('id', '=', W.v1)
      .executeTakeFirstOrThrow();
    expect(suggestedLeadOrgName).toBe(village.name);

    // The detail shows why it went there.
    const detail = await call(W.t1Disp, 'GET', `/api/cases/${c.id}`);
    expect(detail.statusCode).toBe(200);
    const reasons = detail.json().case.routing.reasons as string[];
    expect(reasons).toEqual([
      `位置 (${INSIDE.lon.toFixed(5)}, ${INSIDE.lat.toFixed(5)}) 落在网格 ${W.grid}`,
      expect.stringContaining('属村（社区）级事项'),
    ]);
    expect(detail.json().abilities.actions).toContain('dispatch');
    const mine = await call(W.g1, 'GET', `/api/cases/${c.id}`);
    expect(mine.json().abilities.actions).toContain('solve_on_spot');
    expect((await call(W.g1, 'GET', '/api/cases?queue=reported_by_me')).json().items[0].id).toBe(c.id);

    const solved = await act(W.g1, c.id, 'solve_on_spot', {
      result: '已劝导户主搬走柴草',
      photos: ['p1.jpg'],
    });
    expect(solved.statusCode, solved.body).toBe(200);
    expect(solved.json().case).toMatchObject({ state: 'closed', lead: { id: W.v1 }, deadlines: [] });
    expect(solved.json().case.closedAt).not.toBeNull();
    const after = await eventMetrics();
    const delta = (m: string) => (after[m] ?? 0) - (before[m] ?? 0);
    expect(delta('received')).toBe(1);
    expect(delta('solved_on_spot')).toBe(1);
    expect(delta('closed')).toBe(1);
    expect(delta('dispatched')).toBe(0);
    // Closed: nothing more to do.
    expect((await act(W.g1, c.id, 'solve_on_spot', { result: '再来一次' })).json().error.code).toBe(
      'INVALID_TRANSITION',
    );
  });

  it('goes through the township centre to the village, and back to the grid worker to verify', async () => {
    const before = await eventMetrics();
    const res = await report('河道内漂浮大量垃圾');
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().case.id as string;
    const queue = async (s: Session, q: string) =>
      (await call(s, 'GET', `/api/cases?queue=${q}`)).json().items.map((i: { id: string }) => i.id);
    expect(await queue(W.t1Disp, 'to_dispatch')).toContain(id);

    const d = await act(W.t1Disp, id, 'dispatch', { leadOrgId: W.v1, note: '请村里组织清理' });
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json().case).toMatchObject({ state: 'dispatched', lead: { id: W.v1 } });
    expect(await queue(W.t1Disp, 'to_dispatch')).not.toContain(id);
    expect(await queue(W.v1H, 'to_sign')).toContain(id);

    expect((await act(W.v1H, id, 'sign')).json().case.state).toBe('signed');
    expect((await act(W.v1H, id, 'handle', { note: '已安排保洁员打捞' })).json().case.state).toBe(
      'in_progress',
    );
    const replied = await act(W.v1H, id, 'reply', { result: '已打捞清理完毕' });
    expect(replied.json().case.state).toBe('replied');
    // The reporting grid worker is asked to verify.
    const note = await env.ctx.database.db
      .selectFrom('notifications')
      .select(['kind', 'recipient_kind'])
      .where('case_id', '=', id)
      .where('recipient_id', '=', W.g1.id)
      .execute();
    expect(note).toContainEqual({ kind: 'to_verify', recipient_kind: 'user' });
    expect((await call(W.g1, 'GET', `/api/cases/${id}`)).json().abilities.actions).toContain('verify');

    // Not passed: back to the village, with a new reply deadline.
    const failed = await act(W.g1, id, 'verify', { passed: false, note: '下游仍有垃圾' });
    expect(failed.statusCode, failed.body).toBe(200);
    expect(failed.json().case.state).toBe('in_progress');
    expect(failed.json().case.deadlines.map((x: { stage: string }) => x.stage)).toContain('reply');
    expect((await act(W.v1H, id, 'reply', { result: '下游也已清理' })).json().case.state).toBe('replied');
    const passed = await act(W.g1, id, 'verify', { passed: true, note: '现场核实已清理' });
    expect(passed.statusCode, passed.body).toBe(200);
    expect(passed.json().case).toMatchObject({ state: 'closed', deadlines: [] });

    const tl = await call(W.g1, 'GET', `/api/cases/${id}/timeline`);
    expect(tl.json().items.map((e: { action: string }) => e.action)).toEqual([
      'receive',
      'dispatch',
      'sign',
      'handle',
      'reply',
      'verify',
      'reply',
      'verify',
    ]);
    const after = await eventMetrics();
    const delta = (m: string) => (after[m] ?? 0) - (before[m] ?? 0);
    expect(delta('received')).toBe(1);
    expect(delta('dispatched')).toBe(1);
    expect(delta('closed')).toBe(1);
    expect(delta('solved_on_spot')).toBe(0);
  });

  it('is not open to citizens, nor to departments, which cannot take in cases', async () => {
    const ip = '10.33.9.1';
    const phone = '13900003333';
    await env.app.inject({
      method: 'POST',
      url: '/api/auth/otp/request',
      payload: { phone },
      remoteAddress: ip,
    });
    const code = /([0-9]{6})/.exec(env.sms.sent.filter((m) => m.phone === phone).at(-1)!.text)![1]!;
    const signIn = await env.app.inject({
      method: 'POST',
      url: '/api/auth/otp/verify',
      payload: { phone, code },
      remoteAddress: ip,
    });
    const citizen: Session = {
      id: signIn.json().citizen.id,
      cookie: `gz_session=${signIn.cookies.find((c) => c.name === 'gz_session')!.value}`,
      csrf: signIn.json().csrfToken,
      ip,
    };
    const count = async () =>
      Number(
        (
          await env.ctx.database.db
            .selectFrom('cases')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const n = await count();
    const body = {
      type: 'event',
      channel: 'web',
      categoryId: 'NY05',
      description: '群众想直接上报一个事件',
      villageId: W.v1,
    };
    const asCitizen = await call(citizen, 'POST', '/api/my/cases', body);
    expect(asCitizen.statusCode, asCitizen.body).toBe(403);
    expect(asCitizen.json().error.code).toBe('FORBIDDEN');
    const staffRoute = await call(citizen, 'POST', '/api/cases', body);
    expect(staffRoute.statusCode).toBe(401);
    const dept = await call(W.deptH, 'POST', '/api/cases', { ...body, channel: 'grid' });
    expect(dept.statusCode).toBe(403);
    expect(await count()).toBe(n);
  });
});

describe('idempotent intake', () => {
  const rowsWithKey = async (key: string) =>
    env.ctx.database.db.selectFrom('cases').select(['id']).where('idempotency_key', '=', key).execute();

  it('answers a retry with the same Idempotency-Key with the first case (replayed: true)', async () => {
    const key = 'grid-retry-0001';
    const first = await report('井盖缺失，存在安全隐患', {}, { 'idempotency-key': key });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().replayed).toBe(false);
    const again = await report('井盖缺失，存在安全隐患', {}, { 'idempotency-key': key });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().replayed).toBe(true);
    expect(again.json().case.id).toBe(first.json().case.id);
    expect(again.json().case.code).toBe(first.json().case.code);
    expect(await rowsWithKey(key)).toHaveLength(1);
    // The key may also come in the body.
    const inBody = await report('井盖缺失，存在安全隐患', { idempotencyKey: key });
    expect(inBody.statusCode).toBe(200);
    expect(inBody.json().case.id).toBe(first.json().case.id);
    const events = await env.ctx.database.db
      .selectFrom('case_events')
      .select('action')
      .where('case_id', '=', first.json().case.id)
      .execute();
    expect(events).toEqual([{ action: 'receive' }]);
  });

  it('makes one case of five concurrent requests with one key', async () => {
    const key = 'grid-burst-0002';
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(
          W.g1,
          'POST',
          '/api/cases',
          {
            type: 'event',
            channel: 'grid',
            categoryId: 'NY05',
            description: '弱网重发：村道塌陷一处',
            ...INSIDE,
          },
          { 'idempotency-key': key },
        ),
      ),
    );
    for (const r of results) expect([200, 201], r.body).toContain(r.statusCode);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.json().replayed === true)).toHaveLength(4);
    expect(new Set(results.map((r) => r.json().case.id)).size).toBe(1);
    const rows = await rowsWithKey(key);
    expect(rows).toHaveLength(1);
    const events = await env.ctx.database.db
      .selectFrom('case_events')
      .select('action')
      .where('case_id', '=', rows[0]!.id)
      .execute();
    expect(events).toEqual([{ action: 'receive' }]);
  });
});
