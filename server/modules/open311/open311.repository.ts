import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/**
 * Open311 reads are public by design (GeoReport v2 GETs need no key), so every read here is
 * unscoped and named `unsafe…`: each selects only what may be shown to anyone, and every case
 * read goes through `publicSafe` — the one place that says which cases Open311 may show.
 */

/** Channel name of cases received through Open311. */
export const OPEN311_CHANNEL = 'open311';

/**
 * Cases Open311 may show: appeals of this county in a public category, never a confidential one.
 * (Events from grid patrols, sensors and cameras are internal work, not service requests.) Written
 * against the aliases `c` (cases) and `k` (its category) that every public case query uses.
 */
function publicSafe(countyCode: string) {
  return sql<boolean>`(c.county_code = ${countyCode} and c.type = 'appeal' and c.confidential = false and k.public = true)`;
}

/** The services: active, public second-level categories that take appeals, with their group's name. */
export function unsafeListServices(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('categories as k')
    .innerJoin('categories as g', 'g.id', 'k.parent_id')
    .select([
      'k.id',
      'k.name',
      'k.name_en',
      'k.keywords',
      'k.reply_limit_amount',
      'k.reply_limit_unit',
      'g.name as group_name',
      'g.name_en as group_name_en',
    ])
    .where('k.county_code', '=', countyCode)
    .where('k.active', '=', true)
    .where('k.public', '=', true)
    .where('g.active', '=', true)
    .where('g.public', '=', true)
    .where(sql<boolean>`'appeal' = any(k.case_types)`)
    .orderBy('k.sort')
    .orderBy('k.id')
    .execute();
}

export type ServiceRow = Awaited<ReturnType<typeof unsafeListServices>>[number];

/** One service by code, or undefined when it is not offered (inactive, not public, a group, …). */
export async function unsafeFindService(
  db: Kysely<DB>,
  countyCode: string,
  code: string,
): Promise<ServiceRow | undefined> {
  const rows = await unsafeListServices(db, countyCode);
  return rows.find((r) => r.id === code);
}

/** When the service list last changed (the discovery changeset). */
export async function servicesChangedAt(db: Kysely<DB>, countyCode: string): Promise<Date | null> {
  const r = await db
    .selectFrom('categories')
    .select((eb) => eb.fn.max('updated_at').as('at'))
    .where('county_code', '=', countyCode)
    .executeTakeFirst();
  return r?.at ? new Date(r.at) : null;
}

/** The county's name, for the discovery document. */
export async function countyName(db: Kysely<DB>, countyCode: string): Promise<string> {
  const r = await db.selectFrom('counties').select('name').where('code', '=', countyCode).executeTakeFirst();
  return r?.name ?? countyCode;
}

export interface RequestFilter {
  codes?: string[] | undefined;
  serviceCodes?: string[] | undefined;
  states?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  offset: number;
}

/**
 * Public-safe service requests, newest first. A list of codes overrides every other filter (as
 * the spec says), but never the public-safety rule. Only columns Open311 may show are selected.
 */
export function unsafeListPublicRequests(db: Kysely<DB>, countyCode: string, f: RequestFilter) {
  let q = db
    .selectFrom('cases as c')
    .innerJoin('categories as k', 'k.id', 'c.category_id')
    .leftJoin('org_units as lead', 'lead.id', 'c.lead_org_id')
    .leftJoin('org_units as v', 'v.id', 'c.village_id')
    .leftJoin('org_units as t', 't.id', 'c.township_id')
    .select([
      'c.id',
      'c.code',
      'c.state',
      'c.channel',
      'c.category_id',
      'k.name as category_name',
      'c.description',
      'c.address',
      'c.lat',
      'c.lon',
      'c.attachments',
      'c.resolved',
      'c.received_at',
      'c.updated_at',
      'c.closed_at',
      'lead.name as lead_name',
      'v.name as village_name',
      't.name as township_name',
    ])
    .where(publicSafe(countyCode));
  if (f.codes) {
    q = q.where('c.code', 'in', f.codes.length ? f.codes : ['']);
  } else {
    if (f.serviceCodes) q = q.where('c.category_id', 'in', f.serviceCodes.length ? f.serviceCodes : ['']);
    if (f.states) q = q.where('c.state', 'in', f.states.length ? f.states : ['']);
    if (f.from) q = q.where('c.received_at', '>=', f.from);
    if (f.to) q = q.where('c.received_at', '<=', f.to);
  }
  return q
    .orderBy('c.received_at', 'desc')
    .orderBy('c.code', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
}

export type PublicRequestRow = Awaited<ReturnType<typeof unsafeListPublicRequests>>[number];

/** The open reply deadline of each case (its expected answer time), by case id. */
export async function replyDeadlines(db: Kysely<DB>, caseIds: string[]): Promise<Map<string, Date>> {
  if (!caseIds.length) return new Map();
  const rows = await db
    .selectFrom('case_deadlines')
    .select(['case_id', 'due_at'])
    .where('case_id', 'in', caseIds)
    .where('stage', '=', 'reply')
    .where('status', 'in', ['pending', 'warned', 'overdue'])
    .orderBy('due_at')
    .execute();
  const out = new Map<string, Date>();
  for (const r of rows) if (!out.has(r.case_id)) out.set(r.case_id, r.due_at);
  return out;
}

/** The latest answer to the citizen (reply or direct answer) of each case, by case id. */
export async function latestAnswers(db: Kysely<DB>, caseIds: string[]): Promise<Map<string, string>> {
  if (!caseIds.length) return new Map();
  const rows = await db
    .selectFrom('case_events')
    .select(['case_id', 'action', 'payload'])
    .where('case_id', 'in', caseIds)
    .where('action', 'in', ['reply', 'answer_directly'])
    .orderBy('case_id')
    .orderBy('seq', 'desc')
    .execute();
  const out = new Map<string, string>();
  for (const r of rows) {
    if (out.has(r.case_id)) continue;
    const p = r.payload as { reply?: unknown; answer?: unknown };
    const text = r.action === 'reply' ? p.reply : p.answer;
    if (typeof text === 'string' && text) out.set(r.case_id, text);
  }
  return out;
}

/** The case a client's idempotency key already made, if any. */
export async function findCaseByIdempotencyKey(db: Kysely<DB>, countyCode: string, key: string) {
  return db
    .selectFrom('cases')
    .select(['id', 'code', 'category_id'])
    .where('county_code', '=', countyCode)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export interface Open311RequestRow {
  caseId: string;
  countyCode: string;
  apiKeyId: string;
  token: string;
  serviceCode: string;
  accountId: string | null;
  emailEnc: string | null;
  clientMediaUrl: string | null;
  attributes: Record<string, string | string[]>;
}

/**
 * Records what an Open311 request brought beyond its case — once per case: a retry (or a second
 * of ten concurrent retries) keeps the first row, and everyone gets the first row's token.
 */
export async function recordOpen311Request(db: Kysely<DB>, r: Open311RequestRow): Promise<string> {
  await db
    .insertInto('open311_requests')
    .values({
      case_id: r.caseId,
      county_code: r.countyCode,
      api_key_id: r.apiKeyId,
      token: r.token,
      service_code: r.serviceCode,
      account_id: r.accountId,
      email_enc: r.emailEnc,
      client_media_url: r.clientMediaUrl,
      attributes: JSON.stringify(r.attributes),
    })
    .onConflict((oc) => oc.column('case_id').doNothing())
    .execute();
  const row = await db
    .selectFrom('open311_requests')
    .select('token')
    .where('case_id', '=', r.caseId)
    .executeTakeFirstOrThrow();
  return row.token;
}

/** The service request id (case code) a token stands for. */
export async function unsafeFindToken(db: Kysely<DB>, countyCode: string, token: string) {
  return db
    .selectFrom('open311_requests as o')
    .innerJoin('cases as c', 'c.id', 'o.case_id')
    .select(['c.code', 'o.token'])
    .where('o.county_code', '=', countyCode)
    .where('o.token', '=', token)
    .executeTakeFirst();
}

/** Citizen-visible steps that become entries of the servicerequestupdates extension. */
export const UPDATE_ACTIONS = [
  'receive',
  'dispatch',
  'answer_directly',
  'sign',
  'first_contact',
  'reply',
  'revisit',
  'rate',
  'close',
  'redo',
  'merge',
  'void',
  'suspend',
  'resume',
] as const;

/**
 * Steps of public-safe cases received through Open311, in a time window, oldest first. Only those
 * cases: their reporters published them; other channels' appeals keep their history to themselves.
 */
export function unsafeListUpdates(
  db: Kysely<DB>,
  countyCode: string,
  f: { from: Date; to: Date; limit: number; offset: number },
) {
  return db
    .selectFrom('case_events as e')
    .innerJoin('cases as c', 'c.id', 'e.case_id')
    .innerJoin('categories as k', 'k.id', 'c.category_id')
    .leftJoin('org_units as o', 'o.id', 'e.actor_org_id')
    .select([
      'e.id',
      'e.action',
      'e.to_state',
      'e.at',
      'e.payload',
      'c.code',
      'c.resolved',
      'o.name as actor_org_name',
    ])
    .where(publicSafe(countyCode))
    .where('c.channel', '=', OPEN311_CHANNEL)
    .where('e.county_code', '=', countyCode)
    .where('e.at', '>=', f.from)
    .where('e.at', '<=', f.to)
    .where('e.action', 'in', [...UPDATE_ACTIONS])
    .orderBy('e.at')
    .orderBy('e.id')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
}

/** A case this key posted through Open311 (updates may only be posted to one's own requests). */
export async function findOwnRequest(db: Kysely<DB>, countyCode: string, apiKeyId: string, code: string) {
  return db
    .selectFrom('open311_requests as o')
    .innerJoin('cases as c', 'c.id', 'o.case_id')
    .selectAll('c')
    .where('o.county_code', '=', countyCode)
    .where('o.api_key_id', '=', apiKeyId)
    .where('c.code', '=', code)
    .executeTakeFirst();
}

/** Stores a client's update once per (key, client update id); answers the stored row and whether it is new. */
export async function insertClientUpdate(
  db: Kysely<DB>,
  u: {
    countyCode: string;
    caseId: string;
    apiKeyId: string;
    clientUpdateId: string;
    status: string;
    description: string;
    clientMediaUrl: string | null;
    updatedAt: Date;
  },
): Promise<{ id: number; created: boolean }> {
  const inserted = await db
    .insertInto('open311_request_updates')
    .values({
      county_code: u.countyCode,
      case_id: u.caseId,
      api_key_id: u.apiKeyId,
      client_update_id: u.clientUpdateId,
      status: u.status,
      description: u.description,
      client_media_url: u.clientMediaUrl,
      updated_at_client: u.updatedAt,
    })
    .onConflict((oc) => oc.columns(['api_key_id', 'client_update_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const row = await db
    .selectFrom('open311_request_updates')
    .select('id')
    .where('api_key_id', '=', u.apiKeyId)
    .where('client_update_id', '=', u.clientUpdateId)
    .executeTakeFirstOrThrow();
  return { id: row.id, created: false };
}

/**
 * The bytes of a photo Open311 may show: one taken by a public-safe case that came in through
 * Open311. Anything else (another channel's photo, a confidential case, a pending upload) is
 * undefined — "not found".
 */
export async function unsafeFindPublicMedia(db: Kysely<DB>, countyCode: string, attachmentId: string) {
  return db
    .selectFrom('attachments as a')
    .innerJoin('cases as c', 'c.id', 'a.case_id')
    .innerJoin('categories as k', 'k.id', 'c.category_id')
    .select(['a.id', 'a.content_type', 'a.data'])
    .where(publicSafe(countyCode))
    .where('c.channel', '=', OPEN311_CHANNEL)
    .where('a.county_code', '=', countyCode)
    .where('a.id', '=', attachmentId)
    .executeTakeFirst();
}
