import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import {
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type Transaction,
} from 'kysely';
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
  /**
   * Calls `onMessage` with the payload of every NOTIFY on `channel` (from any process on
   * PostgreSQL; from this process on PGlite). Returns a function that stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
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

type Listen = Database['listen'];

/** How long the health check waits for the database before calling it unavailable. */
const PING_TIMEOUT_MS = 3000;

/** Node socket errors that mean the database server cannot be reached. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error means "the database is not there right now" (stopped, restarting, unreachable)
 * rather than a fault in the request or the code: SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (shut down by an administrator, after a crash, still starting), socket errors, and
 * the messages `pg` and its pool use for a connection lost or never made. Looks through `cause`
 * and aggregated errors. The HTTP layer answers these with 503 `DB_UNAVAILABLE`; the same request
 * may be sent again once the database is back (intake with its idempotency key).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNREACHABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
  if (
    /Connection terminated|timeout exceeded when trying to connect|is not queryable|Connection ended unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i.test(
      String(e.message ?? ''),
    )
  )
    return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

function wrap(
  db: Kysely<DB>,
  engine: Engine,
  pglite: PGlite | undefined,
  onClose: () => Promise<void>,
  listen: Listen,
): Database {
  return {
    db,
    engine,
    pglite,
    listen,
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
      // Bounded: a server that stopped answering (not refusing) must not hang the health check.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), PING_TIMEOUT_MS);
      });
      try {
        return await Promise.race([
          db
            .selectNoFrom((eb) => eb.lit(1).as('one'))
            .execute()
            .then(
              () => true,
              () => false,
            ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await db.destroy();
      await onClose();
    },
  };
}

/** At most this many distinct statement texts are prepared (per process; each connection prepares its own). */
const MAX_PREPARED = 400;
const preparedNames = new Map<string, string>();
const patched = new WeakSet<pg.PoolClient>();
const unpreparedWork = new AsyncLocalStorage<true>();

/**
 * Runs `fn` with its statements unnamed: for one-off bulk work (the demo county's year of history
 * on first start) whose hundreds of statement shapes would otherwise take the MAX_PREPARED names
 * from the requests that come after it and keep their plans in memory for good (on PGlite, in the
 * server's own memory). Work outside `fn`, concurrent requests included, is prepared as usual.
 */
export function withoutPreparedStatements<T>(fn: () => Promise<T>): Promise<T> {
  return unpreparedWork.run(true, fn);
}

/**
 * Prepared statements for every statement Kysely sends: the pool's clients name each statement
 * by its text (`pg` then parses it once per connection and afterwards sends only Bind/Execute),
 * so the server skips parsing and, for a statement run often, planning. Kysely itself never names
 * statements. Texts beyond MAX_PREPARED (a process that builds many shapes of query) run unnamed,
 * as before; transaction control is left alone.
 */
function preparing(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      if (!patched.has(client)) {
        patched.add(client);
        const query = client.query.bind(client) as (...a: unknown[]) => unknown;
        (client as unknown as { query: (...a: unknown[]) => unknown }).query = (
          text: unknown,
          values?: unknown,
        ) => {
          // Without values pg uses the simple protocol, which also carries scripts of several statements.
          if (
            typeof text !== 'string' ||
            !Array.isArray(values) ||
            values.length === 0 ||
            unpreparedWork.getStore()
          )
            return query(text, values);
          let name = preparedNames.get(text);
          if (
            name === undefined &&
            preparedNames.size < MAX_PREPARED &&
            !/^\s*(begin|commit|rollback|savepoint|release|set |listen|unlisten)\b/i.test(text)
          ) {
            name = `gz${preparedNames.size + 1}`;
            preparedNames.set(text, name);
          }
          return name ? query({ name, text, values }) : query(text, values);
        };
      }
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Nor may a checked-out one: pg-pool drops its error listener while a client is lent out, so a
  // server that dies between two queries of a transaction would raise an unhandled 'error' event
  // and kill the process. The query in flight (or the next one) fails instead — 503 DB_UNAVAILABLE
  // — and the pool discards the broken client on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparing(pool) }) });
  return wrap(
    db,
    'postgres',
    undefined,
    async () => {},
    (channel, onMessage) => listenPostgres(url, channel, onMessage),
  );
}

/**
 * LISTEN on a connection of its own, reconnecting (1 s, 2 s, … 30 s) when the server goes away,
 * so the live feed comes back by itself after a database restart.
 */
async function listenPostgres(
  url: string,
  channel: string,
  onMessage: (payload: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let delay = 1000;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    const retry = () => {
      if (stopped || client !== c) return;
      client = null;
      c.end().catch(() => undefined);
      timer = setTimeout(() => void connect(), delay);
      timer.unref();
      delay = Math.min(delay * 2, 30_000);
    };
    client = c;
    c.on('error', retry);
    c.on('end', retry);
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) onMessage(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${pg.escapeIdentifier(channel)}`);
      delay = 1000;
    } catch {
      retry();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
  };
}

/**
 * PostgreSQL settings of the embedded engine. PGlite runs with PostgreSQL's defaults, sized for a
 * server: 128 MB of shared buffers and 64 MB for index builds, inside a WASM heap that never gives
 * memory back once touched. A county's database is read through the operating system's file cache
 * anyway, so small buffers cost little; the server's idle RSS fell from 567 to 441 MB (restarted on
 * its data) and from 909 to 450 MB on the first start (docs/PERFORMANCE.md, Memory).
 */
const PGLITE_SETTINGS = [
  '-c',
  'shared_buffers=16MB',
  '-c',
  'maintenance_work_mem=16MB',
  '-c',
  'work_mem=2MB',
  '-c',
  'temp_buffers=2MB',
  '-c',
  'wal_buffers=1MB',
];

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
    const pglite = await PGlite.create(inMemory ? undefined : pgDir, {
      ...(loadDataDir ? { loadDataDir } : {}),
      startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
    });
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparing(pool) }) });
    return wrap(
      db,
      'pglite',
      pglite,
      async () => {
        await pglite.close();
        lock?.release();
      },
      async (channel, onMessage) => {
        const stop = await pglite.listen(channel, onMessage);
        return async () => {
          await stop().catch(() => undefined);
        };
      },
    );
  } catch (err) {
    lock?.release();
    throw err;
  }
}
