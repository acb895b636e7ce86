/**
 * The inputs the full fuzz run (npm run fuzz -- --runs=100000, seed 20261130) found answering 500,
 * replayed as fixed cases: a NUL character that reached PostgreSQL, an id of "1e309" (Infinity) that
 * reached a bigint column, and a year of "Infinity". Each must be a 400 in the API's error format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from './context.ts';
import { as, createStaff } from './factories.ts';

let env: TestEnv;
let dispatcher: Awaited<ReturnType<typeof createStaff>>;
beforeAll(async () => {
  env = await createTestEnv();
  dispatcher = await createStaff(env, 'county_dispatcher');
});
afterAll(() => env?.close());

describe('hostile inputs found by the full fuzz run', () => {
  it.each([
    ['GET', '/api/calendar?year=Infinity'],
    ['GET', '/api/cases?q=%00%10%01'],
    ['GET', '/api/devices?q=%18%04%00%10'],
    ['GET', '/api/orgs?kind=village&q=%14%03%05%00%15'],
    ['POST', '/api/notifications/1e309/read'],
  ])('%s %s answers 400, not 500', async (method, url) => {
    const client = as(env, dispatcher);
    const res = method === 'GET' ? await client.get(url) : await client.post(url);
    expect(res.statusCode, res.body).toBe(400);
    const body = res.json();
    expect(['BAD_REQUEST', 'VALIDATION_FAILED']).toContain(body.error.code);
    expect(typeof body.error.message).toBe('string');
    expect(res.body).not.toMatch(/invalid byte sequence|bigint|at \//);
  });
});
