import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, SERVER_BUNDLE } from '../scripts/build-server.ts';

/**
 * The platform as a user starts it: `npm start`'s server — the bundle `dist/server/cli.mjs`, built
 * here by the same script — in a child process on a fresh data folder (or a fresh PostgreSQL
 * database when TEST_DATABASE_URL is set), then the CLI (through tsx, as `gongzhi`) against it.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-start-'));
// Below Linux's ephemeral range (32768–60999), where the OS picks the ports that other tests' servers
// (listen on port 0) and every outgoing connection use; port + 1 is taken too.
const port = 20000 + Math.floor(Math.random() * 12000);
const base = `http://127.0.0.1:${port}`;
let databaseUrl = '';
const children: ChildProcess[] = [];

async function freshPgDatabase(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return '';
  const name = `gz_start_${process.pid}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function env(extra: Record<string, string> = {}) {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
    env: env(extra),
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function start(): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [SERVER_BUNDLE, 'start'], { env: env() });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

async function waitHealthy(limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.status === 200 && (await r.json()).status === 'ok') return Date.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('server did not become healthy');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

beforeAll(() => buildServer(), 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  const url = process.env.TEST_DATABASE_URL;
  if (url && databaseUrl) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`drop database if exists ${new URL(databaseUrl).pathname.slice(1)} with (force)`);
    await c.end();
  }
});

describe('gongzhi start', () => {
  let first: ReturnType<typeof start>;

  it('migrates, loads the demo county, serves health, API and docs on one port, and prints the logins', async () => {
    databaseUrl = await freshPgDatabase();
    first = start();
    // Creating the demo county from nothing: CI runs this beside other test files and the browser
    // journeys' own server, so give it far more than the 60 s default of a test.
    await waitHealthy(240_000);
    expect(first.output()).toContain('演示账号 Demo logins');
    expect(first.output()).toContain('county_dispatcher');
    const regions = await (await fetch(`${base}/api/public/regions`)).json();
    expect(regions.county).toEqual({ code: '360121', name: '南昌县' });
    expect(regions.townships).toHaveLength(24);
    const docs = await fetch(`${base}/docs/json`);
    expect(docs.status).toBe(200);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'gongzhi2026' }),
    });
    expect(login.status).toBe(200);
    const page = await fetch(`${base}/some/client/route`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  }, 300_000);

  it.skipIf(Boolean(process.env.TEST_DATABASE_URL))(
    'refuses a second process on the same data folder, naming it',
    () => {
      const r = cli(['start'], { PORT: String(port + 1) });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(dataDir);
    },
  );

  it.skipIf(Boolean(process.env.TEST_DATABASE_URL))(
    'backs up the embedded database while the server runs',
    () => {
      const file = path.join(dataDir, '..', `gz-backup-${port}.tar.gz`);
      const r = cli(['backup', file]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.statSync(file).size).toBeGreaterThan(100_000);
    },
  );

  it('stops on SIGTERM and starts again on the same data without loading the demo twice', async () => {
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    if (!process.env.TEST_DATABASE_URL) expect(fs.existsSync(path.join(dataDir, 'gongzhi.lock'))).toBe(false);
    const second = start();
    await waitHealthy(150_000);
    const regions = await (await fetch(`${base}/api/public/regions`)).json();
    expect(
      regions.townships.reduce((n: number, t: { villages: unknown[] }) => n + t.villages.length, 0),
    ).toBe(471);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
  }, 200_000);

  it.skipIf(Boolean(process.env.TEST_DATABASE_URL))(
    'restores a backup into a data folder and finds everything',
    async () => {
      const file = path.join(dataDir, '..', `gz-backup-${port}.tar.gz`);
      const target = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-restore-'));
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'restore', file], {
        env: { ...process.env, DATA_DIR: target, DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status).toBe(0);
      const db = await PGlite.create(path.join(target, 'pglite'));
      const count = async (q: string) => Number((await db.query<{ n: number }>(q)).rows[0]!.n);
      expect(await count(`select count(*) as n from org_units where kind = 'village'`)).toBe(471);
      expect(await count('select count(*) as n from grids')).toBe(785);
      expect(await count('select count(*) as n from users')).toBeGreaterThanOrEqual(15);
      await db.close();
    },
  );
});
