import { type Kysely, sql } from 'kysely';
import type { CaseRow, DB } from '../db/schema.ts';

/** The channel that carries case arrivals and closings to every app process (LISTEN/NOTIFY). */
export const LIVE_CHANNEL = 'gongzhi_live';

/** What the live feed says about a case; names are looked up by each listener. */
export interface LiveEvent {
  kind: 'received' | 'closed';
  caseId: string;
  code: string;
  type: string;
  countyCode: string;
  path: string;
  categoryId: string | null;
  villageId: string | null;
  townshipId: string | null;
  channel: string;
  urgency: string;
  at: string;
}

/**
 * Announces arrivals and closings inside the cases' transaction, in one statement: PostgreSQL (and
 * PGlite) deliver a NOTIFY only when the transaction commits, in order, so the feed never shows a
 * case that was rolled back.
 */
export async function announce(
  trx: Kysely<DB>,
  items: readonly { kind: LiveEvent['kind']; case: CaseRow; at: Date }[],
): Promise<void> {
  if (items.length === 0) return;
  const payloads = items.map(({ kind, case: c, at }) => JSON.stringify(liveEvent(kind, c, at)));
  await sql`select pg_notify(${LIVE_CHANNEL}, p) from unnest(${payloads}::text[]) with ordinality as t(p, n) order by n`.execute(
    trx,
  );
}

function liveEvent(kind: LiveEvent['kind'], c: CaseRow, at: Date): LiveEvent {
  return {
    kind,
    caseId: c.id,
    code: c.code,
    type: c.type,
    countyCode: c.county_code,
    path: c.path,
    categoryId: c.category_id,
    villageId: c.village_id,
    townshipId: c.township_id,
    channel: c.channel,
    urgency: c.urgency,
    at: at.toISOString(),
  };
}
