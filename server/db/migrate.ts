import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './database.ts';

/** Where the timestamped SQL migrations live. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

/** Lists `YYYYMMDDHHMMSS_name.sql` files in order. */
export function listMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{14}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: file.slice(0, 14),
        name: file.slice(15, -4),
        file,
        sql: text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

/**
 * Applies pending migrations in one transaction (all or none), under an advisory lock so that two
 * processes starting together on one PostgreSQL do not race. Applied migrations are immutable: a
 * changed checksum stops the run.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const { db } = database;
  await sql`create table if not exists schema_migrations (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`.execute(db);
  const applied: string[] = [];
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(7240021)`.execute(trx);
    const done = new Map(
      (await trx.selectFrom('schema_migrations').selectAll().execute()).map((r) => [r.version, r]),
    );
    for (const m of listMigrations(dir)) {
      const prev = done.get(m.version);
      if (prev) {
        if (prev.checksum !== m.checksum) {
          throw new Error(
            `迁移 ${m.file} 在应用后被修改（校验和不符）。迁移文件不可修改，请新增一个迁移。\n` +
              `Migration ${m.file} was changed after it was applied; add a new migration instead.`,
          );
        }
        continue;
      }
      await sql.raw(m.sql).execute(trx);
      await trx
        .insertInto('schema_migrations')
        .values({ version: m.version, name: m.name, checksum: m.checksum })
        .execute();
      applied.push(m.file);
    }
  });
  return applied;
}
