/**
 * PostgreSQL's own insert-only throughput, the baseline of the intake benchmark: `pgbench` with a
 * custom one-statement script (`INSERT INTO …` a row about the size of a case's hot columns) into
 * a scratch table of a scratch database, with the same client count as the HTTP load.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  output: string;
}

const SCRIPT = `\\set r random(1, 1000000)
INSERT INTO intake_scratch (county_code, code, state, title, payload) VALUES ('360121', 'S' || :r, 'received', 'pgbench appeal ' || :r, '{"channel":"phone"}');
`;

export async function pgbenchInserts(
  serverUrl: string,
  clients: number,
  seconds: number,
): Promise<PgbenchResult> {
  const name = `gz_pgbench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-pgbench-'));
  try {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`create table intake_scratch (
      id bigserial primary key, county_code text not null, code text not null, state text not null,
      title text not null, payload jsonb not null, received_at timestamptz not null default now())`);
    await c.end();
    const script = path.join(dir, 'insert.sql');
    fs.writeFileSync(script, SCRIPT);
    const output = await new Promise<string>((resolve, reject) => {
      const p = spawn(
        PGBENCH,
        ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, url],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.stderr.on('data', (d) => {
        out += d;
      });
      p.on('error', reject);
      p.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`pgbench exited ${code}:\n${out}`)),
      );
    });
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
    const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1] ?? Number.NaN);
    if (!Number.isFinite(tps)) throw new Error(`no tps in pgbench output:\n${output}`);
    return { tps, latencyMs, output };
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
