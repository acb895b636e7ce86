import pino from 'pino';
import type { AppContext } from '../server/context.ts';
import { type App, buildApp } from '../server/http/app.ts';
import { type Clock, systemClock } from '../server/lib/clock.ts';
import { type Config, loadConfig } from '../server/lib/config.ts';
import { FieldCipher } from '../server/lib/crypto.ts';
import { LogSmsSender } from '../server/lib/sms.ts';
import { createTestDatabase } from './db.ts';

export interface TestEnv {
  ctx: AppContext;
  app: App;
  sms: LogSmsSender;
  close(): Promise<void>;
}

/** A test cipher with fixed keys (two, so rotation can be tested). */
export function testCipher(current = 'k1'): FieldCipher {
  return new FieldCipher(
    [
      { id: 'k1', key: Buffer.alloc(32, 1) },
      { id: 'k2', key: Buffer.alloc(32, 2) },
    ],
    current,
    Buffer.alloc(32, 3),
  );
}

/**
 * For tests that walk a FixedClock over days with one sign-in per role: their sessions must not go
 * idle meanwhile (`createTestEnv({ config: { sessionIdleMinutes: NEVER_IDLE_MINUTES } })`).
 */
export const NEVER_IDLE_MINUTES = 100 * 365 * 24 * 60;

/** A full application on a fresh database of its own, driven through `app.inject`. */
export async function createTestEnv(
  opts: { config?: Partial<Config>; clock?: Clock } = {},
): Promise<TestEnv> {
  const database = await createTestDatabase();
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const sms = new LogSmsSender(log);
  const ctx: AppContext = {
    config: { ...loadConfig({ NODE_ENV: 'test' }), webDir: '/nonexistent', ...opts.config },
    database,
    cipher: testCipher(),
    sms,
    clock: opts.clock ?? systemClock,
    log,
  };
  const app = await buildApp(ctx);
  await app.ready();
  return {
    ctx,
    app,
    sms,
    async close() {
      await app.close();
      await database.close();
    },
  };
}
