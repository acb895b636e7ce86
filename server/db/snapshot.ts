import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './database.ts';

/** The committed description of the schema that the migrations must produce. */
export const SNAPSHOT_FILE = fileURLToPath(new URL('../../migrations/schema.snapshot.json', import.meta.url));

/**
 * Describes the public schema from the catalogue — tables, columns, constraints, indexes,
 * triggers, functions — in a stable order, so that two databases can be compared as JSON.
 */
export async function describeSchema(database: Database) {
  const { db } = database;
  const columns = await sql<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns where table_schema = 'public'
    order by table_name, ordinal_position`.execute(db);
  const constraints = await sql<{ table_name: string; name: string; def: string }>`
    select cl.relname as table_name, co.conname as name, pg_get_constraintdef(co.oid) as def
    -- Not-null constraints appear in pg_constraint only from PostgreSQL 18 on; columns carry them.
    from pg_constraint co join pg_class cl on cl.oid = co.conrelid join pg_namespace n on n.oid = cl.relnamespace
    where n.nspname = 'public' and co.contype <> 'n' order by 1, 2`.execute(db);
  const indexes = await sql<{ table_name: string; name: string; def: string }>`
    select tablename as table_name, indexname as name, indexdef as def from pg_indexes
    where schemaname = 'public' order by 1, 2`.execute(db);
  const triggers = await sql<{ table_name: string; name: string; def: string }>`
    select c.relname as table_name, t.tgname as name, pg_get_triggerdef(t.oid) as def
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and not t.tgisinternal order by 1, 2`.execute(db);
  const functions = await sql<{ name: string; def: string }>`
    select p.proname as name, pg_get_functiondef(p.oid) as def from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 1`.execute(db);
  const tables: Record<
    string,
    { columns: string[]; constraints: string[]; indexes: string[]; triggers: string[] }
  > = {};
  const t = (name: string) => {
    tables[name] ??= { columns: [], constraints: [], indexes: [], triggers: [] };
    return tables[name];
  };
  for (const c of columns.rows) {
    t(c.table_name).columns.push(
      `${c.column_name} ${c.data_type}${c.is_nullable === 'NO' ? ' not null' : ''}${c.column_default ? ` default ${c.column_default}` : ''}`,
    );
  }
  for (const c of constraints.rows) t(c.table_name).constraints.push(`${c.name}: ${c.def}`);
  for (const i of indexes.rows) t(i.table_name).indexes.push(i.def);
  for (const tr of triggers.rows) t(tr.table_name).triggers.push(tr.def);
  return { tables, functions: functions.rows.map((f) => f.def.trim()) };
}
