/**
 * GET requests' response volume (spec): "Default query limit is a span of 90 days or first 1000
 * requests returned, whichever is smallest." 1,010 recent appeals, a few older than 90 days and a
 * few confidential ones: the default answer is the newest 1,000 of the last 90 days.
 *
 * The rows are written directly, as `receiveCase` writes a received appeal: a thousand intakes
 * would take minutes and this file tests the read path only (intake is tested in open311.test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { COUNTY, ensureCounty } from '../../../test/factories.ts';
import { expectSchema, open311, xmlSimple } from './fixtures/georeport-client.ts';

let env: TestEnv;
const DAY = 24 * 3600_000;
const now = Date.now();

/** Received appeals, the i-th received `i` hours ago (minus an offset). */
async function insertAppeals(
  prefix: string,
  n: number,
  opts: { offsetMs?: number; confidential?: boolean } = {},
) {
  const rows = Array.from({ length: n }, (_, i) => {
    const at = new Date(now - (opts.offsetMs ?? 0) - i * 3600_000);
    return {
      county_code: COUNTY,
      type: 'appeal',
      code: `${prefix}${String(i).padStart(5, '0')}`,
      state: 'received',
      channel: 'phone',
      category_id: 'SC01',
      title: `测试 ${i}`,
      description: `第 ${i} 件`,
      path: `/${COUNTY}/`,
      confidential: opts.confidential ?? false,
      routing: '{}',
      pending: '{}',
      attachments: '[]',
      received_at: at,
      updated_at: at,
    };
  });
  for (let i = 0; i < rows.length; i += 250)
    await env.ctx.database.db
      .insertInto('cases')
      .values(rows.slice(i, i + 250))
      .execute();
}

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  await insertAppeals('R', 1010); // the last 1,010 hours: about 42 days
  await insertAppeals('X', 5, { confidential: true });
  await insertAppeals('O', 5, { offsetMs: 91 * DAY });
});
afterAll(() => env.close());

describe('GET requests defaults', () => {
  it('answers at most 1,000, newest first, only from the last 90 days', async () => {
    const res = await open311(env).get('requests.json');
    expect(res.statusCode).toBe(200);
    const list = res.json() as {
      service_request_id: string;
      requested_datetime: string;
      description: null;
    }[];
    expect(list).toHaveLength(1000);
    expectSchema('requests.json', list);
    expect(list[0]!.service_request_id).toBe('R00000');
    expect(list[999]!.service_request_id).toBe('R00999');
    const codes = list.map((r) => r.service_request_id);
    expect(codes.some((c) => c.startsWith('X') || c.startsWith('O'))).toBe(false);
    const times = list.map((r) => Date.parse(r.requested_datetime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // Requests from other channels never show their text.
    expect(list.every((r) => r.description === null)).toBe(true);
  });

  it('pages through the rest with the pagination extension, in XML too', async () => {
    const rest = (await open311(env).get('requests.json?page=2')).json() as { service_request_id: string }[];
    expect(rest.map((r) => r.service_request_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `R${String(1000 + i).padStart(5, '0')}`),
    );
    const xml = xmlSimple((await open311(env).get('requests.xml?page_size=3')).body);
    expect((xml.obj.request as { service_request_id: string }[]).map((r) => r.service_request_id)).toEqual([
      'R00000',
      'R00001',
      'R00002',
    ]);
  });

  it('reaches older requests only by asking for their window (or their ids)', async () => {
    const start = new Date(now - 100 * DAY).toISOString();
    const end = new Date(now - 90 * DAY).toISOString();
    const old = (await open311(env).get(`requests.json?start_date=${start}&end_date=${end}`)).json() as {
      service_request_id: string;
    }[];
    expect(old.map((r) => r.service_request_id)).toEqual(['O00000', 'O00001', 'O00002', 'O00003', 'O00004']);
    const byId = (await open311(env).get('requests.json?service_request_id=O00004,X00000')).json() as {
      service_request_id: string;
    }[];
    expect(byId.map((r) => r.service_request_id)).toEqual(['O00004']);
  });
});
