import type { Logger } from 'pino';
import type { Database } from './db/database.ts';
import type { Clock } from './lib/clock.ts';
import type { Config } from './lib/config.ts';
import type { FieldCipher } from './lib/crypto.ts';
import type { SmsSender } from './lib/sms.ts';

/** Everything a service needs, built once at start and passed down (no module-level singletons). */
export interface AppContext {
  config: Config;
  database: Database;
  cipher: FieldCipher;
  sms: SmsSender;
  clock: Clock;
  log: Logger;
}
