/**
 * The shared rate-limit counters (decision 0032): `countHit` on both engines, and on PostgreSQL two
 * app instances — two processes behind a load balancer — answering from one count per route and
 * address, where each used to count alone.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { ensureCounty } from '../../test/factories.ts';
import { type App, buildApp } from './app.ts';
import { countHit, forgetEndedRateLimits } from './rate-limit-store.ts';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
  // A refused sign-in is audited, against the county.
  await ensureCounty(env.ctx);
});
afterAll(() => env?.close());

const db = () => env.ctx.database.db;

describe('countHit', () => {
  it('counts hits of a key within its window, each key on its own, and says how long the window lasts', async () => {
    expect(await countHit(db(), 'k:a', 60_000)).toMatchObject({ current: 1 });
    expect(await countHit(db(), 'k:a', 60_000)).toMatchObject({ current: 2 });
    const third = await countHit(db(), 'k:a', 60_000);
    expect(third.current).toBe(3);
    expect(third.ttl).toBeGreaterThan(50_000);
    expect(third.ttl).toBeLessThanOrEqual(60_000);
    expect(await countHit(db(), 'k:b', 60_000)).toMatchObject({ current: 1 });
  });

  it('starts again at 1 once the window has ended', async () => {
    for (let i = 0; i < 4; i++) await countHit(db(), 'k:ended', 60_000);
    await sql`update rate_limits set window_end = now() - interval '1 second' where key = 'k:ended'`.execute(
      db(),
    );
    const again = await countHit(db(), 'k:ended', 60_000);
    expect(again.current).toBe(1);
    expect(again.ttl).toBeGreaterThan(50_000);
  });

  it('loses no hit when many arrive at once', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => countHit(db(), 'k:burst', 60_000)));
    expect(results.map((r) => r.current).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it('forgets windows that ended more than an hour ago, and keeps the others', async () => {
    await countHit(db(), 'k:old', 60_000);
    await countHit(db(), 'k:recent', 60_000);
    await sql`update rate_limits set window_end = now() - interval '2 hours' where key = 'k:old'`.execute(
      db(),
    );
    await sql`update rate_limits set window_end = now() - interval '10 minutes' where key = 'k:recent'`.execute(
      db(),
    );
    expect(await forgetEndedRateLimits(db())).toBe(1);
    const left = await db().selectFrom('rate_limits').select('key').execute();
    expect(left.map((r) => r.key)).not.toContain('k:old');
    expect(left.map((r) => r.key)).toContain('k:recent');
  });
});

describe.skipIf(!onPostgres)('two app processes on one PostgreSQL', () => {
  let second: App;
  beforeAll(async () => {
    second = await buildApp(env.ctx);
    await second.ready();
  });
  afterAll(() => second?.close());

  const login = (app: App, ip: string, n: number) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'no-such-user', password: `guess-${n}-abcdef` },
      remoteAddress: ip,
    });

  it('share one staff sign-in limit per address: the 11th attempt, on the other process, is 429', async () => {
    const ip = '10.77.0.1';
    for (let i = 1; i <= 10; i++) {
      const res = await login(i % 2 ? env.app : second, ip, i);
      expect(res.statusCode).toBe(401);
    }
    const eleventh = await login(second, ip, 11);
    expect(eleventh.statusCode).toBe(429);
    expect(eleventh.json().error.code).toBe('RATE_LIMITED');
    expect((await login(env.app, ip, 12)).statusCode).toBe(429);
    // Another address, and another limited route for the same address, count on their own.
    expect((await login(env.app, '10.77.0.2', 13)).statusCode).toBe(401);
    const otp = await second.inject({
      method: 'POST',
      url: '/api/auth/otp/verify',
      payload: { phone: '13900000077', code: '000000' },
      remoteAddress: ip,
    });
    expect(otp.statusCode).toBe(401);
    const keys = await db()
      .selectFrom('rate_limits')
      .select(['key', 'hits'])
      .where('key', 'like', '%10.77.0.1')
      .execute();
    expect(keys).toEqual(
      expect.arrayContaining([
        { key: 'POST /api/auth/login 10.77.0.1', hits: 12 },
        { key: 'POST /api/auth/otp/verify 10.77.0.1', hits: 1 },
      ]),
    );
  });
});
