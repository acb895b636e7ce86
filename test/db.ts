import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../server/db/database.ts';
import { withDatabase } from './global-setup.ts';

/** Which engine this test run uses: PostgreSQL when TEST_DATABASE_URL is set, else PGlite. */
export const TEST_ENGINE = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

/** A fresh, migrated database of its own for one test file (`url` set on PostgreSQL). */
export async function createTestDatabase(): Promise<Database & { url?: string }> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    // Named after this run's template, so a run drops only its own databases when it ends.
    const name = `gz_t_${inject('pgTemplate').slice('gz_tpl_'.length)}_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name} template ${inject('pgTemplate')}`);
    await admin.end();
    const databaseUrl = withDatabase(url, name);
    const database = await openDatabase({ databaseUrl, poolSize: 4 });
    const close = database.close;
    database.close = async () => {
      await close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
    return Object.assign(database, { url: databaseUrl });
  }
  const tpl = fs.readFileSync(inject('pgliteTemplate'));
  return openDatabase({ dataDir: 'memory://', loadDataDir: new Blob([tpl]) });
}
