import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** API keys are county-wide configuration (like categories): bounded by the county, not a jurisdiction. */

const COLUMNS = [
  'k.id',
  'k.name',
  'k.system',
  'k.key_prefix',
  'k.created_by',
  'k.created_at',
  'k.revoked_at',
  'k.last_used_at',
  'u.display_name as created_by_name',
] as const;

/** Every key of a county, newest first, with who issued it (never the hash). */
export function listCountyApiKeys(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('open311_api_keys as k')
    .leftJoin('users as u', 'u.id', 'k.created_by')
    .select(COLUMNS)
    .where('k.county_code', '=', countyCode)
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id')
    .execute();
}

export type ApiKeyRow = Awaited<ReturnType<typeof listCountyApiKeys>>[number];

/** One key of the county, or undefined (another county's key looks exactly like a missing one). */
export function findCountyApiKey(
  db: Kysely<DB>,
  countyCode: string,
  id: string,
): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('open311_api_keys as k')
    .leftJoin('users as u', 'u.id', 'k.created_by')
    .select(COLUMNS)
    .where('k.county_code', '=', countyCode)
    .where('k.id', '=', id)
    .executeTakeFirst();
}

/** Stores a new key (its hash and display prefix only). */
export async function insertApiKey(
  db: Kysely<DB>,
  row: {
    countyCode: string;
    name: string;
    system: string;
    keyHash: string;
    keyPrefix: string;
    createdBy: string | null;
  },
): Promise<string> {
  const r = await db
    .insertInto('open311_api_keys')
    .values({
      county_code: row.countyCode,
      name: row.name,
      system: row.system,
      key_hash: row.keyHash,
      key_prefix: row.keyPrefix,
      created_by: row.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** Revokes a key if it is still active; undefined when it was already revoked (or is not there). */
export async function markRevoked(db: Kysely<DB>, countyCode: string, id: string, now: Date) {
  return db
    .updateTable('open311_api_keys')
    .set({ revoked_at: now })
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
}

/** The active key with this hash in the county, or undefined. */
export function findActiveKeyByHash(db: Kysely<DB>, countyCode: string, keyHash: string) {
  return db
    .selectFrom('open311_api_keys')
    .select(['id', 'name', 'system', 'last_used_at'])
    .where('county_code', '=', countyCode)
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Notes a key's use — at most once a minute, so a busy client does not write on every request. */
export async function touchApiKey(db: Kysely<DB>, id: string, now: Date): Promise<void> {
  await db
    .updateTable('open311_api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`${now}::timestamptz - interval '1 minute'`),
      ]),
    )
    .execute();
}
