import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { ensureCounty } from '../../test/factories.ts';
import { type Database, withoutPreparedStatements } from './database.ts';
import { listMigrations, migrate } from './migrate.ts';
import { describeSchema, SNAPSHOT_FILE } from './snapshot.ts';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

describe('schema', () => {
  it('a migrated database equals the committed schema snapshot', async () => {
    const expected = JSON.parse(fs.readFileSync(SNAPSHOT_FILE, 'utf8'));
    expect(await describeSchema(database)).toEqual(expected);
  });

  it('migrating again applies nothing', async () => {
    expect(await migrate(database)).toEqual([]);
  });

  it('refuses a migration that was changed after it was applied', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-mig-'));
    for (const m of listMigrations()) fs.writeFileSync(path.join(dir, m.file), m.sql);
    const first = listMigrations()[0]!;
    fs.appendFileSync(path.join(dir, first.file), '\n-- edited\n');
    await expect(migrate(database, dir)).rejects.toThrow(/校验和不符|changed after it was applied/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every table that holds county data carries county_code', async () => {
    const rows = await sql<{ table_name: string; has: boolean }>`
      select t.table_name, exists (
        select 1 from information_schema.columns c
        where c.table_schema = 'public' and c.table_name = t.table_name and c.column_name = 'county_code'
      ) as has
      from information_schema.tables t where t.table_schema = 'public' and t.table_type = 'BASE TABLE'`.execute(
      database.db,
    );
    // counties is the county itself (keyed by code); schema_migrations is not county data, nor are
    // rate_limits (counts per route and client address, whatever county the request is for).
    const exempt = new Set(['counties', 'schema_migrations', 'rate_limits']);
    const missing = rows.rows.filter((r) => !exempt.has(r.table_name) && !r.has).map((r) => r.table_name);
    expect(rows.rows.length).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });
});

describe('engine differences are normalised', () => {
  it('count(*) and bigint come back as numbers on both engines', async () => {
    const r = await sql<{
      n: unknown;
      big: unknown;
    }>`select count(*) as n, 9007199254740::bigint as big`.execute(database.db);
    expect(r.rows[0]).toEqual({ n: 1, big: 9007199254740 });
    const k = await database.db
      .selectFrom('org_units')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(typeof k.n).toBe('number');
  });

  it('timestamps come back as Date', async () => {
    const r = await sql<{ t: unknown }>`select now() as t`.execute(database.db);
    expect(r.rows[0]!.t).toBeInstanceOf(Date);
  });
});

describe('audit log', () => {
  it('is append-only: update and delete are refused by the database', async () => {
    await ensureCounty({ database } as never);
    const row = await database.db
      .insertInto('audit_log')
      .values({ county_code: '360121', actor_kind: 'system', action: 'demo.seeded', detail: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(
      database.db.updateTable('audit_log').set({ action: 'x' }).where('id', '=', row.id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(database.db.deleteFrom('audit_log').where('id', '=', row.id).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`truncate audit_log`.execute(database.db)).rejects.toThrow(/append-only/);
    const still = await database.db
      .selectFrom('audit_log')
      .select('action')
      .where('id', '=', row.id)
      .executeTakeFirst();
    expect(still?.action).toBe('demo.seeded');
  });
});

describe('prepared statements', () => {
  it('a statement with values is prepared once per connection and reused; one without runs unnamed', async () => {
    const names = await database.transaction(async (trx) => {
      for (const code of ['x1', 'x2', 'x3'])
        await trx.selectFrom('counties').select('code').where('code', '=', code).execute();
      const r = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(trx);
      return r.rows.map((x) => x.statement);
    });
    const mine = names.filter((s) => s === 'select "code" from "counties" where "code" = $1');
    expect(mine).toHaveLength(1);
    expect(names.some((s) => s.includes('pg_prepared_statements'))).toBe(false);
  });

  it('work run withoutPreparedStatements stays unnamed; the same statement outside it is prepared', async () => {
    const probeText = 'select "id" from "categories" where "id" = $1 and "name" = $2';
    const other = 'select "name" from "counties" where "code" = $1 and "name" = $2';
    const seen = await database.transaction(async (trx) => {
      const listed = async () =>
        (
          await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(trx)
        ).rows.map((x) => x.statement);
      const probe = () =>
        trx
          .selectFrom('categories')
          .select('id')
          .where('id', '=', 'none')
          .where('name', '=', 'probe')
          .execute();
      // Inside, three times, while a statement started outside runs beside it (prepared as usual).
      await Promise.all([
        withoutPreparedStatements(async () => {
          for (let i = 0; i < 3; i++) await probe();
        }),
        trx
          .selectFrom('counties')
          .select('name')
          .where('code', '=', 'none')
          .where('name', '=', 'x')
          .execute(),
      ]);
      const inside = await listed();
      await probe();
      return { inside, after: await listed() };
    });
    expect(seen.inside).not.toContain(probeText);
    expect(seen.inside).toContain(other);
    expect(seen.after).toContain(probeText);
  });
});
