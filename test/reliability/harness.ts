/**
 * Real server processes for the reliability tests and the fault run (`npm run fault`): `gongzhi
 * start` as a child process on a data folder (PGlite) or a PostgreSQL database, killed and started
 * again at will; and a way to read that database directly afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * One secret for every process of a test: two app processes on one PostgreSQL must derive the same
 * field keys (each decrypts phone numbers the other encrypted), as a real deployment's would.
 */
const SECRET = 'reliability-test-secret-not-for-production';

export interface ServerSpec {
  /** DATA_DIR: the PGlite folder lives in it; on PostgreSQL it holds only the control files. */
  dataDir: string;
  /** Empty for PGlite. */
  databaseUrl: string;
  port: number;
  /** stdout and stderr of every start, appended (pino JSON lines). */
  logFile: string;
  /** Whether the background worker (sweeps, SMS outbox, webhooks) runs in this process. */
  worker: boolean;
  /** Worker tick; short so that tests need not wait long. */
  sweepIntervalMs?: number;
}

/** A server that can be started, killed and started again on the same data. */
export class ServerProcess {
  child: ChildProcess | undefined;
  /** Milliseconds each start took until health answered ok. */
  readonly startTimes: number[] = [];

  constructor(readonly spec: ServerSpec) {}

  get base(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process (does not wait; see {@link waitReady}). */
  start(): void {
    if (this.alive) throw new Error('server already running');
    const s = this.spec;
    const out = fs.openSync(s.logFile, 'a');
    this.child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        // Development mode: one-time codes and SMS go to the log, where the tests read them.
        NODE_ENV: 'development',
        DATA_DIR: s.dataDir,
        DATABASE_URL: s.databaseUrl,
        PORT: String(s.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DEMO_CASES: '0',
        // Each simulated citizen sends its own X-Forwarded-For, so per-address limits count per person.
        TRUST_PROXY: '1',
        MQTT_URL: '',
        GONGZHI_SECRET: SECRET,
        WORKER: s.worker ? '1' : '0',
        SWEEP_INTERVAL_MS: String(s.sweepIntervalMs ?? 300),
        // No web build needed: the API is what is tested.
        WEB_DIR: path.join(s.dataDir, 'no-web'),
      },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
  }

  /** Starts and waits until `/api/health` answers ok; records how long it took. */
  async startAndWait(timeoutMs = 900_000): Promise<void> {
    const t0 = Date.now();
    this.start();
    await this.waitReady(timeoutMs);
    this.startTimes.push(Date.now() - t0);
  }

  /** Polls `/api/health` until 200 ok; fails with the log's tail if the process exits or time runs out. */
  async waitReady(timeoutMs = 300_000): Promise<void> {
    const limit = Date.now() + timeoutMs;
    while (Date.now() < limit) {
      if (!this.alive) throw new Error(`server exited (${this.child?.exitCode}):\n${this.logTail()}`);
      try {
        const r = await fetch(`${this.base}/api/health`, { signal: AbortSignal.timeout(5000) });
        if (r.status === 200 && (await r.json()).status === 'ok') return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`server not ready within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** Sends a signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (!c || !this.alive) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await gone;
  }

  /** SIGTERM (a clean stop), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || !this.alive) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(t);
  }

  logTail(chars = 4000): string {
    try {
      return fs.readFileSync(this.spec.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }

  /** The SMS texts the development sender wrote to this server's log (all its starts). */
  smsSent(): { to: string; text: string }[] {
    const out: { to: string; text: string }[] = [];
    let log = '';
    try {
      log = fs.readFileSync(this.spec.logFile, 'utf8');
    } catch {
      return out;
    }
    for (const line of log.split('\n')) {
      if (!line.includes('"sms"')) continue;
      try {
        const e = JSON.parse(line) as { sms?: { to?: string; text?: string } };
        if (e.sms?.to && e.sms.text) out.push({ to: e.sms.to, text: e.sms.text });
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<T> {
  const limit = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < limit) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Direct SQL on the test's database, with int8 cast by the query (`::int`) so both engines agree. */
export interface Inspector {
  q<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Opens the server's database for reading and fixing up. On PGlite the server must not be running
 * (one process per folder); on PostgreSQL it may.
 */
export async function inspect(spec: Pick<ServerSpec, 'dataDir' | 'databaseUrl'>): Promise<Inspector> {
  if (spec.databaseUrl) {
    const c = new pg.Client({ connectionString: spec.databaseUrl });
    // A database stopped on purpose must not crash the test process; the next query reports it.
    c.on('error', () => {});
    await c.connect();
    return {
      q: async (text, params) => (await c.query(text, params as unknown[])).rows,
      close: () => c.end(),
    };
  }
  const db = await PGlite.create(path.join(spec.dataDir, 'pglite'));
  return {
    q: async <T>(text: string, params?: unknown[]) => (await db.query<T>(text, params)).rows,
    close: () => db.close(),
  };
}

/** Creates an empty database `name` next to `adminUrl` and returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name} with (force)`);
  } finally {
    await c.end();
  }
}
