import { type Kysely, type Selectable, sql } from 'kysely';
import type { DataExchangesTable, DB } from '../../db/schema.ts';

/**
 * The data-sharing catalogue is county-wide configuration: every read and write is bounded by the
 * county; no jurisdiction inside it partitions it.
 */

export type Exchange = Selectable<DataExchangesTable> & { updated_by_name: string | null };

function exchanges(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('data_exchanges as x')
    .leftJoin('users as u', 'u.id', 'x.updated_by')
    .selectAll('x')
    .select('u.display_name as updated_by_name')
    .where('x.county_code', '=', countyCode);
}

/** Every entry of the county's catalogue, active first, by system. */
export function listExchanges(db: Kysely<DB>, countyCode: string): Promise<Exchange[]> {
  return exchanges(db, countyCode)
    .orderBy('x.active', 'desc')
    .orderBy('x.system')
    .orderBy('x.channel')
    .execute();
}

/** One entry of the county (another county's looks exactly like a missing one). */
export function findExchange(db: Kysely<DB>, countyCode: string, id: string): Promise<Exchange | undefined> {
  return exchanges(db, countyCode).where('x.id', '=', id).executeTakeFirst();
}

/** The county's webhook subscriptions as the catalogue shows them: no URL path, no secret. */
export function listWebhookSystems(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'name', 'system', 'url', 'events', 'active'])
    .where('county_code', '=', countyCode)
    .orderBy('active', 'desc')
    .orderBy('system')
    .execute();
}

/**
 * The columns of a table that another module owns, or an empty set when the table does not exist
 * in this database. The catalogue reads such tables only when they are there, and only the columns
 * it finds, so it works before, during and after those modules arrive.
 */
export async function columnsOf(db: Kysely<DB>, table: string): Promise<Set<string>> {
  const r = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return new Set(r.rows.map((c) => c.column_name));
}

/** Open311 API keys (name, system, active) of the county, from the Open311 module's table. */
export async function listOpen311Keys(db: Kysely<DB>, countyCode: string, cols: Set<string>) {
  const active = cols.has('revoked_at')
    ? sql<boolean>`revoked_at is null`
    : cols.has('active')
      ? sql<boolean>`active`
      : sql<boolean>`true`;
  const county = cols.has('county_code') ? sql`county_code = ${countyCode}` : sql`true`;
  const r = await sql<{ name: string; system: string | null; active: boolean }>`
    select name::text as name, system::text as system, ${active} as active
    from open311_api_keys where ${county} order by 3 desc, 2, 1 limit 500`.execute(db);
  return r.rows;
}

/** Device counts by type (and how many are active), from the IoT module's device registry. */
export async function countIotDevices(
  db: Kysely<DB>,
  countyCode: string,
  cols: Set<string>,
  typeCol: string,
) {
  const active = cols.has('active')
    ? sql`count(*) filter (where active)`
    : cols.has('status')
      ? sql`count(*) filter (where status = 'active')`
      : cols.has('revoked_at')
        ? sql`count(*) filter (where revoked_at is null)`
        : sql`count(*)`;
  const county = cols.has('county_code') ? sql`county_code = ${countyCode}` : sql`true`;
  const r = await sql<{ type: string; total: number | string; active: number | string }>`
    select ${sql.ref(typeCol)}::text as type, count(*) as total, ${active} as active
    from iot_devices where ${county} group by 1 order by 1`.execute(db);
  return r.rows.map((x) => ({ type: x.type, total: Number(x.total), active: Number(x.active) }));
}
