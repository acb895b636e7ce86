/**
 * Starts the real platform for browser tests and screenshots: `gongzhi start` as a child process
 * (the way a user runs it) on a free port with a fresh data folder (PGlite), or — when
 * TEST_DATABASE_URL is set — on a fresh PostgreSQL database created from that URL.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIR = path.join(ROOT, 'dist/web');

/** Demo password of every seeded account (server/modules/demo/demo.seed.ts). */
export const DEMO_PASSWORD = 'gongzhi2026';

export interface StartedServer {
  base: string;
  /** The server's stdout and stderr (pino JSON lines and the banner). */
  logFile: string;
  dataDir: string;
  /** The PostgreSQL database made for this server, when TEST_DATABASE_URL is set. */
  databaseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds the web app (`vite build`, without the bundle budget: that is the build step's job) when
 * `dist/web` is missing or older than anything under `web/`. CI has built it already.
 */
export function ensureWebBuild(log: (s: string) => void = () => {}): void {
  const index = path.join(WEB_DIR, 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sources = Math.max(newestMtime(path.join(ROOT, 'web')), newestMtime(path.join(ROOT, 'common')));
  if (built >= sources) return;
  log(built ? 'web sources changed since the last build: building web' : 'no web build: building web');
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'error',
    ],
    {
      cwd: ROOT,
      // vitest sets NODE_ENV=test, which would make Vite ship React's and antd's development builds.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (r.status !== 0) throw new Error(`web build failed:\n${r.stdout}\n${r.stderr}`);
}

async function freshPgDatabase(url: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropPgDatabase(url: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.end();
}

export interface StartOptions {
  /** Appeals of demo history generated after ready (about one event per six appeals more). */
  demoCases?: number;
  /** Where to write the log; a temp file by default. */
  logFile?: string;
}

/**
 * Starts the server without waiting for it (see {@link waitReady}). The data folder (or database)
 * is fresh; the demo county is loaded on first start.
 */
export async function startServer(opts: StartOptions = {}): Promise<StartedServer> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-e2e-'));
  const logFile = opts.logFile ?? path.join(dataDir, 'server.log');
  const pgUrl = process.env.TEST_DATABASE_URL || '';
  const dbName = `gz_e2e_${process.pid}_${port}`;
  const databaseUrl = pgUrl ? await freshPgDatabase(pgUrl, dbName) : '';
  // A private copy of the build: someone running `npm run build:web` meanwhile (it empties
  // dist/web) cannot pull the assets from under the running pages.
  const webDir = path.join(dataDir, 'web');
  fs.cpSync(WEB_DIR, webDir, { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      // The way a user runs it on a laptop: development mode writes one-time codes to the log.
      NODE_ENV: 'development',
      DATA_DIR: path.join(dataDir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      WEB_DIR: webDir,
      // `info` is the level of the SMS line the citizen journeys read their codes from.
      LOG_LEVEL: 'info',
      DEMO_CASES: String(opts.demoCases ?? 0),
      // Each browser context sends its own X-Forwarded-For, so the per-address sign-in limits
      // (10 a minute) apply per simulated person, as they do behind the county's proxy.
      TRUST_PROXY: '1',
      MQTT_URL: '',
    },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let stopped: Promise<void> | undefined;
  return {
    base: `http://127.0.0.1:${port}`,
    logFile,
    dataDir,
    databaseUrl,
    child,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(t);
        }
        if (pgUrl) await dropPgDatabase(pgUrl, dbName).catch(() => {});
        fs.rmSync(path.join(dataDir, 'data'), { recursive: true, force: true });
        fs.rmSync(webDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function readLog(logFile: string): string {
  try {
    return fs.readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Waits until `/api/health` answers ok and, with `history`, until the background demo history is
 * finished, so that counts a test reads do not move under it. Throws with the log's tail on a
 * timeout or when the server process has exited.
 */
export async function waitReady(
  base: string,
  logFile: string,
  opts: { timeoutMs?: number; history?: boolean; child?: ChildProcess } = {},
): Promise<void> {
  const limit = Date.now() + (opts.timeoutMs ?? 240_000);
  let healthy = false;
  while (Date.now() < limit) {
    if (opts.child && opts.child.exitCode !== null) {
      throw new Error(`server exited with ${opts.child.exitCode}:\n${readLog(logFile).slice(-4000)}`);
    }
    if (!healthy) {
      try {
        const r = await fetch(`${base}/api/health`);
        healthy = r.status === 200 && (await r.json()).status === 'ok';
      } catch {
        // not listening yet
      }
    }
    if (healthy) {
      if (!opts.history) return;
      // The history starts (and says so) before health turns ok; with DEMO_CASES=0 there is none.
      const log = readLog(logFile);
      if (/demo history failed/.test(log)) throw new Error(`demo history failed:\n${log.slice(-4000)}`);
      if (!/demo history: generating/.test(log) || /demo history generated/.test(log)) return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server not ready in time (${base}):\n${readLog(logFile).slice(-4000)}`);
}

/**
 * The one-time code the development SMS sender wrote to the log for `phone` (the latest one),
 * waiting for it to appear.
 */
export async function otpFromLog(logFile: string, phone: string, timeoutMs = 15_000): Promise<string> {
  const limit = Date.now() + timeoutMs;
  while (Date.now() < limit) {
    let code: string | undefined;
    for (const line of readLog(logFile).split('\n')) {
      if (!line.includes('"sms"') || !line.includes(phone)) continue;
      try {
        const entry = JSON.parse(line) as { sms?: { to?: string; text?: string } };
        if (entry.sms?.to !== phone) continue;
        code = /\b(\d{6})\b/.exec(entry.sms.text ?? '')?.[1] ?? code;
      } catch {
        // a partly written line: read again next time
      }
    }
    if (code) return code;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no one-time code for ${phone} in the server log`);
}
