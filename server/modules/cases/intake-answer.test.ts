/**
 * The answer to an intake is built from what the intake wrote (the case row, its first deadline, its
 * photos; a new case has no units and no whistles), not read back: it must be exactly what reading
 * the case straight afterwards gives the same person — for staff and citizens, with a position or a
 * chosen village, with photos, anonymous and confidential.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  createCitizen,
  createGrid,
  createStaff,
  createVillage,
  type StaffSession,
  signInCitizen,
} from '../../../test/factories.ts';

let env: TestEnv;
let villageId: string;
let gridId: string;
let operator: StaffSession;
let gridWorker: StaffSession;
let citizen: { cookie: string; csrf: string };

beforeAll(async () => {
  env = await createTestEnv();
  villageId = await createVillage(env.ctx);
  gridId = await createGrid(env.ctx, { villageId });
  operator = await createStaff(env, 'operator');
  gridWorker = await createStaff(env, 'grid_worker', { orgId: villageId });
  citizen = await signInCitizen(env, (await createCitizen(env.ctx)).phone);
});
afterAll(() => env.close());

/** A point inside the grid the factory made (its south-west corner plus a little). */
async function pointInGrid(): Promise<{ lon: number; lat: number }> {
  const g = await env.ctx.database.db
    .selectFrom('grids')
    .select(['min_lon', 'min_lat'])
    .where('id', '=', gridId)
    .executeTakeFirstOrThrow();
  return { lon: g.min_lon + 0.0004, lat: g.min_lat + 0.0004 };
}

function withoutReplayed(body: Record<string, unknown>) {
  const { replayed, ...rest } = body;
  expect(replayed).toBe(false);
  return rest;
}

describe('the intake answer equals a read of the new case', () => {
  it('operator, hotline, chosen village, contact given', async () => {
    const res = await as(env, operator).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '村口路灯不亮已经三天',
      villageId,
      contactName: '王大爷',
      contactPhone: '13912345678',
    });
    expect(res.statusCode, res.body).toBe(201);
    const answer = withoutReplayed(res.json());
    expect((answer.case as { deadlines: unknown[] }).deadlines.length).toBeGreaterThan(0);
    const read = await as(env, operator).get(`/api/cases/${res.json().case.id}`);
    expect(read.statusCode).toBe(200);
    expect(answer).toEqual(read.json());
  });

  it('grid worker, event at a position, anonymous and confidential', async () => {
    for (const flags of [{ anonymous: true }, { confidential: true, contactPhone: '13800001111' }]) {
      const res = await as(env, gridWorker).post('/api/cases', {
        type: 'event',
        channel: 'grid',
        categoryId: 'SR01',
        description: '巡查发现路灯杆倾斜',
        ...(await pointInGrid()),
        ...flags,
      });
      expect(res.statusCode, res.body).toBe(201);
      const answer = withoutReplayed(res.json());
      expect((answer.case as { location: { gridId: string } }).location.gridId).toBe(gridId);
      const read = await as(env, gridWorker).get(`/api/cases/${res.json().case.id}`);
      expect(answer).toEqual(read.json());
    }
  });

  it('citizen, with two photos', async () => {
    const photo = (colour: string) =>
      sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
        .jpeg()
        .toBuffer();
    const ids: string[] = [];
    for (const colour of ['#a33', '#3a3']) {
      const up = await env.app.inject({
        method: 'POST',
        url: '/api/uploads',
        headers: { 'content-type': 'image/jpeg', cookie: citizen.cookie, 'x-csrf-token': citizen.csrf },
        payload: await photo(colour),
      });
      expect(up.statusCode, up.body).toBe(201);
      ids.push(up.json().id);
    }
    const res = await as(env, citizen).post('/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '楼下路灯坏了，晚上很黑',
      villageId,
      attachments: ids,
    });
    expect(res.statusCode, res.body).toBe(201);
    const answer = withoutReplayed(res.json());
    expect((answer.case as { attachments: { id: string }[] }).attachments.map((a) => a.id)).toEqual(ids);
    const read = await as(env, citizen).get(`/api/my/cases/${res.json().case.id}`);
    expect(read.statusCode).toBe(200);
    expect(answer).toEqual(read.json().detail);
  });

  it('a retry with the same key answers the same case, read from the database (200)', async () => {
    const body = {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '重复提交测试',
      villageId,
      idempotencyKey: `answer-${Date.now()}`,
    };
    const first = await as(env, operator).post('/api/cases', body);
    const again = await as(env, operator).post('/api/cases', body);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().replayed).toBe(true);
    expect(again.json().case).toEqual(first.json().case);
  });
});
