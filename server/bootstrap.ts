import type { Logger } from 'pino';
import type { AppContext } from './context.ts';
import { openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { systemClock } from './lib/clock.ts';
import type { Config } from './lib/config.ts';
import { loadFieldCipher } from './lib/crypto.ts';
import { createLogger } from './lib/logger.ts';
import { LogSmsSender } from './lib/sms.ts';

/**
 * Opens the database (taking the folder lock on PGlite), applies migrations and assembles the
 * services. Used by the server, the CLI and tests alike.
 */
export async function createContext(
  config: Config,
  opts: { log?: Logger; migrate?: boolean } = {},
): Promise<AppContext> {
  const log = opts.log ?? createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (opts.migrate !== false) await migrate(database);
    return {
      config,
      database,
      cipher: loadFieldCipher({ secret: config.secret, dataDir: config.dataDir }),
      sms: new LogSmsSender(log),
      clock: systemClock,
      log,
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
