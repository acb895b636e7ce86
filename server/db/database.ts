import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { FolderLock } from './lock.ts';
import type { DB } from './schema.ts';

// int8 (count(*), bigserial) arrives as a string from `pg`; one parser for both engines so that
// repositories never see the difference. Values beyond 2^53 do not occur in our counters.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric stays a string in pg; we use it only for rates we present as numbers.
pg.types.setTypeParser(1700, (v) => Number(v));

export type Engine = 'pglite' | 'postgres';

/** An open database: the query builder plus what it takes to close it cleanly. */
export interface Database {
  db: Kysely<DB>;
  engine: Engine;
  /** Raw PGlite handle (embedded only), for backups. */
  pglite: PGlite | undefined;
  /** Runs `fn` in one transaction. */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Cheap liveness check used by health and readiness. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL URL; when absent the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Folder for PGlite's files; `memory://` for a throwaway in-memory database. */
  dataDir?: string;
  /** Connection pool size for PostgreSQL. */
  poolSize?: number;
  /** Restore PGlite from a dump tarball (used by `restore` and fast test templates). */
  loadDataDir?: Blob;
}

/** Opens the database on PostgreSQL (when a URL is given) or PGlite, with the same dialect. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  return openPglite(opts.dataDir ?? 'memory://', opts.loadDataDir);
}

function wrap(
  db: Kysely<DB>,
  engine: Engine,
  pglite: PGlite | undefined,
  onClose: () => Promise<void>,
): Database {
  return {
    db,
    engine,
    pglite,
    async transaction(fn) {
      // A deadlock or serialization failure aborts the whole transaction without effect: retry it.
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(fn);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw err;
          await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
        }
      }
    },
    async ping() {
      try {
        await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await db.destroy();
      await onClose();
    },
  };
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return wrap(db, 'postgres', undefined, async () => {});
}

async function openPglite(dataDir: string, loadDataDir?: Blob): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  let lock: FolderLock | undefined;
  let pgDir = dataDir;
  if (!inMemory) {
    lock = FolderLock.acquire(dataDir);
    pgDir = path.join(dataDir, 'pglite');
    fs.mkdirSync(dataDir, { recursive: true });
  }
  try {
    const pglite = await PGlite.create(inMemory ? undefined : pgDir, loadDataDir ? { loadDataDir } : {});
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return wrap(db, 'pglite', pglite, async () => {
      await pglite.close();
      lock?.release();
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
}
