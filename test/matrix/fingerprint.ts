/**
 * "Nothing changed" in one cheap query. Every table of the test database gets a row-level trigger
 * that counts inserted, updated and deleted rows per table in `zz_changes`; a request changed
 * nothing when the counters read the same before and after it. Exact (a changed row is always
 * counted, an update that rewrites a row with the same values too), and it costs one small read per
 * request instead of counting or hashing every table. Only in the test's own database, never in a
 * migration. A session's sliding `last_seen_at` (touched at most once a minute by any request) is
 * not a change, nor is a hit counted in `rate_limits` (on PostgreSQL a limited route counts every
 * request, refused ones too — that is the limit working).
 */
import { sql } from 'kysely';
import type { Database } from '../../server/db/database.ts';

export async function installChangeCounter(database: Database): Promise<void> {
  const db = database.db;
  await sql`create table zz_changes (tbl text primary key, n bigint not null)`.execute(db);
  await sql
    .raw(`create function zz_count_change() returns trigger language plpgsql as $$
begin
  if tg_table_name = 'sessions' and tg_op = 'UPDATE'
     and (to_jsonb(old) - 'last_seen_at') = (to_jsonb(new) - 'last_seen_at') then
    return null;
  end if;
  insert into zz_changes (tbl, n) values (tg_table_name, 1)
    on conflict (tbl) do update set n = zz_changes.n + 1;
  return null;
end $$`)
    .execute(db);
  const tables = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
      and c.relname not in ('zz_changes', 'rate_limits')`.execute(db);
  for (const { name } of tables.rows) {
    await sql
      .raw(
        `create trigger zz_count_change after insert or update or delete on "${name}" ` +
          'for each row execute function zz_count_change()',
      )
      .execute(db);
  }
}

/** Counters per table; compare two readings with `changedTables`. */
export async function readChanges(database: Database): Promise<Map<string, number>> {
  const r = await sql<{ tbl: string; n: string | number }>`select tbl, n from zz_changes`.execute(
    database.db,
  );
  return new Map(r.rows.map((x) => [x.tbl, Number(x.n)]));
}

/** Tables whose counters moved between two readings. */
export function changedTables(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after]
    .filter(([t, n]) => (before.get(t) ?? 0) !== n)
    .map(([t]) => t)
    .sort();
}
