import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../server/context.ts';
import { openDatabase } from '../server/db/database.ts';
import { buildApp } from '../server/http/app.ts';
import { createTestEnv, type TestEnv } from './context.ts';
import { as, createStaff, createVillage, type StaffSession } from './factories.ts';

/**
 * PostgreSQL backup as docs/OPERATIONS.md tells operators to take it: `pg_dump -Fc` of a live
 * database, `pg_restore` into a new one, and the restored database holds every row and serves the
 * same appeal through the application. Only on PostgreSQL (TEST_DATABASE_URL); the embedded
 * folder's backup is in server.test.ts.
 */
const PG = process.env.TEST_DATABASE_URL;

describe.skipIf(!PG)('pg_dump and pg_restore', () => {
  let env: TestEnv;
  let restoredUrl = '';
  let restoredName = '';
  let dispatcher: StaffSession;
  let caseId = '';
  const dumpFile = path.join(os.tmpdir(), `gz-pgdump-${process.pid}.dump`);

  beforeAll(async () => {
    env = await createTestEnv();
    const village = await createVillage(env.ctx);
    dispatcher = await createStaff(env, 'county_dispatcher');
    const res = await as(env, dispatcher).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '备份测试：村口水管漏水三天了',
      villageId: village,
      contactName: '备份',
      contactPhone: '13811112222',
    });
    if (res.statusCode !== 201) throw new Error(res.body);
    caseId = res.json().case.id;
  });

  afterAll(async () => {
    fs.rmSync(dumpFile, { force: true });
    if (restoredName) {
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`drop database if exists ${restoredName} with (force)`);
      await c.end();
    }
    await env?.close();
  });

  it('restores a pg_dump into a new database with every row, and the app reads the appeal from it', async () => {
    const sourceUrl = (env.ctx.database as { url?: string }).url!;
    const dump = spawnSync('pg_dump', ['--format=custom', '--no-owner', `--file=${dumpFile}`, sourceUrl], {
      encoding: 'utf8',
    });
    expect(dump.status, dump.stderr).toBe(0);

    restoredName = `${new URL(sourceUrl).pathname.slice(1)}_restored`;
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`create database ${restoredName}`);
    await admin.end();
    const u = new URL(PG!);
    u.pathname = `/${restoredName}`;
    restoredUrl = u.toString();
    const restore = spawnSync(
      'pg_restore',
      ['--no-owner', '--exit-on-error', `--dbname=${restoredUrl}`, dumpFile],
      {
        encoding: 'utf8',
      },
    );
    expect(restore.status, restore.stderr).toBe(0);

    const restored = await openDatabase({ databaseUrl: restoredUrl, poolSize: 2 });
    try {
      const { rows: tables } = await sql<{ table_name: string }>`
        select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`.execute(
        env.ctx.database.db,
      );
      expect(tables.length).toBeGreaterThan(20);
      const counts = async (db: typeof restored.db) => {
        const out: Record<string, number> = {};
        for (const t of tables) {
          const { rows } = await sql<{
            n: string;
          }>`select count(*) as n from ${sql.table(t.table_name)}`.execute(db);
          out[t.table_name] = Number(rows[0]!.n);
        }
        return out;
      };
      const before = await counts(env.ctx.database.db);
      expect(await counts(restored.db)).toEqual(before);
      expect(before.cases).toBeGreaterThanOrEqual(1);
      expect(before.audit_log).toBeGreaterThan(0);

      // The same session cookie, keys and appeal on the restored database.
      const ctx: AppContext = { ...env.ctx, database: restored, log: pino({ level: 'silent' }) };
      const app = await buildApp(ctx);
      await app.ready();
      try {
        const got = await app.inject({
          method: 'GET',
          url: `/api/cases/${caseId}`,
          headers: { cookie: dispatcher.cookie },
        });
        expect(got.statusCode, got.body).toBe(200);
        expect(got.json().case.description).toBe('备份测试：村口水管漏水三天了');
        const reveal = await app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/reveal-contact`,
          headers: { cookie: dispatcher.cookie, 'x-csrf-token': dispatcher.csrf },
          payload: { reason: '恢复后核对' },
        });
        expect(reveal.json()).toEqual({ name: '备份', phone: '13811112222' });
      } finally {
        await app.close();
      }
    } finally {
      await restored.close();
    }
  });
});
