/**
 * The real platform for benchmarks: `gongzhi start` as a child process, run the way `npm start`
 * runs it (the bundle `dist/server/cli.mjs`, built afresh once per benchmark process), on a free
 * port, with a fresh data folder (PGlite) or a fresh PostgreSQL database, the demo county loaded,
 * and no web build needed. Optionally preloads `count-queries.ts`, which counts the statements the
 * server sends to the database (that preload is TypeScript, so those servers also load `tsx`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../e2e/server.ts';
import { buildServer, SERVER_BUNDLE } from '../../scripts/build-server.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Demo password of every seeded account (server/modules/demo/demo.seed.ts). */
export const DEMO_PASSWORD = 'gongzhi2026';

export interface BenchServerOptions {
  engine: 'pglite' | 'postgres';
  /** PostgreSQL server URL; a fresh database is made on it (and dropped by `stop`). */
  databaseUrl?: string;
  /** Demo history appeals generated after ready (0: the county only). */
  demoCases?: number;
  /** Preload the statement counter (see `queries()`). */
  countQueries?: boolean;
  /** Extra environment (e.g. `WORKER`, `LOG_LEVEL`). */
  env?: Record<string, string>;
  /** Extra node flags (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Start on the data folder of a stopped server (`stop({ keepData: true })`), PGlite only. */
  dir?: string;
}

export interface BenchServer {
  base: string;
  port: number;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Folder of the data, the log and everything else of this server. */
  dir: string;
  /** The fresh PostgreSQL database's URL ('' on PGlite). */
  databaseUrl: string;
  /** Statements sent so far, total and by their first words (needs `countQueries`). */
  queries(): Promise<{ total: number; byText: Record<string, number>; msByText: Record<string, number> }>;
  /** Resident set size of the server process now (VmRSS), in MB. */
  rssMb(): number;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

function readLog(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** VmRSS of a process in MB, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

let built: Promise<void> | undefined;

export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  built ??= buildServer();
  await built;
  const port = await freePort();
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gz-bench-'));
  const logFile = path.join(dir, 'server.log');
  const dbName = `gz_bench_${process.pid}_${port}`;
  let databaseUrl = '';
  if (opts.engine === 'postgres') {
    const admin = new pg.Client({ connectionString: opts.databaseUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(opts.databaseUrl!);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const out = fs.openSync(logFile, 'a');
  const preload = opts.countQueries
    ? ['--import', 'tsx', '--import', path.join(ROOT, 'bench/lib/count-queries.ts')]
    : [];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...preload, SERVER_BUNDLE, 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATA_DIR: path.join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      WEB_DIR: path.join(dir, 'no-web'),
      LOG_LEVEL: 'info',
      DEMO_CASES: String(opts.demoCases ?? 0),
      MQTT_URL: '',
      ...opts.env,
    },
    stdio: opts.countQueries ? ['ignore', out, out, 'ipc'] : ['ignore', out, out],
  });
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  const server: BenchServer = {
    base,
    port,
    pid: child.pid!,
    child,
    logFile,
    dir,
    databaseUrl,
    queries() {
      return new Promise((resolve, reject) => {
        if (!child.send) return reject(new Error('server started without countQueries'));
        const onMessage = (m: unknown) => {
          const msg = m as {
            kind?: string;
            total?: number;
            byText?: Record<string, number>;
            msByText?: Record<string, number>;
          };
          if (msg.kind !== 'queries') return;
          child.off('message', onMessage);
          resolve({ total: msg.total ?? 0, byText: msg.byText ?? {}, msByText: msg.msByText ?? {} });
        };
        child.on('message', onMessage);
        child.send('queries?');
      });
    },
    rssMb: () => rssOf(child.pid!),
    async stop(o = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      if (opts.engine === 'postgres') {
        const admin = new pg.Client({ connectionString: opts.databaseUrl });
        await admin.connect();
        await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
        await admin.end();
      }
      if (!o.keepData) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(server, opts.demoCases ? 1_800_000 : 600_000, Boolean(opts.demoCases));
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Waits for health 200 and, with `history`, for the demo history to be generated. */
async function waitReady(s: BenchServer, timeoutMs: number, history: boolean): Promise<void> {
  const limit = Date.now() + timeoutMs;
  while (Date.now() < limit) {
    if (s.child.exitCode !== null) {
      throw new Error(`server exited with ${s.child.exitCode}:\n${readLog(s.logFile).slice(-4000)}`);
    }
    try {
      const r = await request(s.base, 'GET', '/api/health');
      if (r.status === 200) {
        if (!history) return;
        const log = readLog(s.logFile);
        if (/demo history failed/.test(log)) throw new Error(`demo history failed:\n${log.slice(-4000)}`);
        if (/demo history generated/.test(log)) return;
      }
    } catch (err) {
      if (String(err).includes('demo history failed')) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server not ready in time:\n${readLog(s.logFile).slice(-4000)}`);
}

/** Keep-alive sockets, as a load balancer or a busy client would hold them. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request over a real socket (node:http with a keep-alive agent). */
export function request(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${url}`,
      {
        method,
        agent,
        headers: {
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Signs a demo staff account in; returns the headers that act as it (cookie and CSRF token). */
export async function signIn(base: string, username: string): Promise<Record<string, string>> {
  const r = await request(base, 'POST', '/api/auth/login', { username, password: DEMO_PASSWORD });
  if (r.status !== 200) throw new Error(`sign-in of ${username} failed: ${r.status} ${r.body}`);
  const cookie = String(r.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  const { csrfToken } = JSON.parse(r.body) as { csrfToken: string };
  return { cookie, 'x-csrf-token': csrfToken };
}
