import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { StaffActor } from '../../authz/actor.ts';
import {
  actingUnitOf,
  caseKeys,
  caseVisibleTo,
  PERIOD_SECONDS,
  periodKey,
  periodOf,
} from '../../authz/scope.ts';
import type { DB } from '../../db/schema.ts';
import { escapeLike } from '../orgs/orgs.repository.ts';

/** Work queues of the workbench (DESIGN §2 roles; issue "staff workbench"). */
export const QUEUES = [
  'all',
  'to_dispatch',
  'to_sign',
  'in_progress',
  'due_soon',
  'overdue',
  'returned',
  'whistled',
  'to_audit',
  'to_revisit',
  'redo',
  'unsatisfied',
  'red',
  'reported_by_me',
] as const;
export type Queue = (typeof QUEUES)[number];

export interface CaseFilter {
  queue: Queue;
  type?: string | undefined;
  state?: string | undefined;
  categoryId?: string | undefined;
  townshipId?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

/**
 * One search term occurs in the case's `search_text` (case-sensitive, as `LIKE '%term%'`). The
 * gram condition, which the GIN index `cases_search_idx` answers (every pair of neighbouring
 * characters of the term, or its one character, is among the text's; migration
 * 20261130090000_case_search_grams, its first column since 20261130170000_case_access_keys),
 * narrows the cases to check; the LIKE decides.
 * `gz_term_grams` of the bound term is folded to a constant when the query is planned.
 */
export function searchTermMatches(term: string, table = 'c'): RawBuilder<boolean> {
  const text = sql.ref(`${table}.search_text`);
  return sql<boolean>`(gz_grams(${text}) @> gz_term_grams(${term}) and ${text} like ${`%${escapeLike(term)}%`})`;
}

/**
 * Cases the staff member may see, narrowed to a queue and filters, newest first. Visibility comes
 * from `caseVisibleTo` (territory, units sent to, reported by); queues then pick the work.
 */
export async function searchCases(db: Kysely<DB>, actor: StaffActor, f: CaseFilter, now: Date) {
  const unit = actingUnitOf(actor);
  let q = db.selectFrom('cases as c').where(caseVisibleTo(actor, 'c'));
  const openDeadline = (stage: string[] | null, status: string[]) =>
    sql<boolean>`exists (select 1 from case_deadlines d where d.case_id = c.id and d.status in (${sql.join(status)})${
      stage ? sql` and d.stage in (${sql.join(stage)})` : sql``
    })`;
  switch (f.queue) {
    case 'all':
      break;
    case 'to_dispatch':
      // Only the centres dispatch; for other roles this queue is empty.
      if (!['operator', 'county_dispatcher', 'township_dispatcher'].includes(actor.role))
        return { items: [], hasMore: false };
      q = q
        .where('c.state', 'in', ['received', 'reported', 'return_requested'])
        .where('c.path', 'like', `${actor.scopePath}%`);
      break;
    case 'to_sign':
      q = q.where('c.state', '=', 'dispatched').where('c.lead_org_id', '=', unit);
      break;
    case 'in_progress':
      q = q.where('c.state', 'in', ['signed', 'in_progress']).where('c.lead_org_id', '=', unit);
      break;
    case 'due_soon':
      q = q.where(openDeadline(null, ['warned'])).where('c.closed_at', 'is', null);
      break;
    case 'overdue':
      q = q.where(openDeadline(null, ['overdue'])).where('c.closed_at', 'is', null);
      break;
    case 'returned':
      q = q.where('c.state', '=', 'return_requested');
      break;
    case 'whistled':
      q = q.where(
        sql<boolean>`exists (select 1 from whistle_reports r join whistles w on w.id = r.whistle_id where w.case_id = c.id and r.department_id = ${unit} and r.status <> 'done')`,
      );
      break;
    case 'to_audit':
      q = q.where('c.state', '=', 'replied').where('c.path', 'like', `${actor.scopePath}%`);
      break;
    case 'to_revisit':
      q = q
        .where('c.state', 'in', ['audited', 'answered_directly'])
        .where('c.path', 'like', `${actor.scopePath}%`);
      break;
    case 'redo':
      q = q.where('c.redo_count', '>', 0).where('c.closed_at', 'is', null);
      break;
    case 'unsatisfied':
      q = q.where('c.satisfaction', '=', 'unsatisfied');
      break;
    case 'red':
      q = q.where('c.supervision_level', '=', 'red').where('c.closed_at', 'is', null);
      break;
    case 'reported_by_me':
      q = q.where('c.reporter_user_id', '=', actor.userId);
      break;
  }
  if (f.type) q = q.where('c.type', '=', f.type);
  if (f.state) q = q.where('c.state', '=', f.state);
  if (f.categoryId)
    q = q.where((eb) =>
      eb.or([
        eb('c.category_id', '=', f.categoryId!),
        eb('c.category_id', 'like', `${escapeLike(f.categoryId!)}%`),
      ]),
    );
  if (f.townshipId) q = q.where('c.township_id', '=', f.townshipId);
  const terms = (f.q ?? '').split(/\s+/).filter(Boolean).slice(0, 5);
  // Chinese has no spaces: every whitespace-separated term must appear somewhere in the text.
  for (const term of terms) q = q.where(searchTermMatches(term));
  // The page is chosen first and only its cases are joined to their names: with a keyword the
  // planner cannot tell how many cases match, and joined row by row that cost seconds at 1M.
  const pageOf = (cases: typeof q) =>
    db
      .selectFrom(
        cases
          .select(['c.id', 'c.received_at'])
          .orderBy('c.received_at', 'desc')
          .orderBy('c.id')
          .limit(f.limit + 1)
          .offset(f.offset)
          .as('p'),
      )
      .innerJoin('cases as c', 'c.id', 'p.id')
      .leftJoin('categories as cat', 'cat.id', 'c.category_id')
      .leftJoin('org_units as lead', 'lead.id', 'c.lead_org_id')
      .leftJoin('org_units as v', 'v.id', 'c.village_id')
      .select([
        'c.id',
        'c.code',
        'c.type',
        'c.state',
        'c.title',
        'c.urgency',
        'c.channel',
        'c.category_id',
        'cat.name as category_name',
        'c.lead_org_id',
        'lead.name as lead_name',
        'c.village_id',
        'v.name as village_name',
        'c.supervision_level',
        'c.received_at',
        'c.version',
        sql<Date | null>`(select min(d.due_at) from case_deadlines d where d.case_id = c.id and d.status in ('pending','warned','overdue'))`.as(
          'next_due_at',
        ),
      ])
      .orderBy('p.received_at', 'desc')
      .orderBy('p.id')
      .compile();
  // A term of 3 % of all cases matches 30,000 of a million, which the gram index returns unordered.
  // So a search asks the newest periods first (the 30-day period of now, the one before, and the one
  // after for a clock running ahead): their keys are in the same index (`caseKeys`), so only their
  // cases are read. When they fill the page, and no case is newer than they reach, it is the page of
  // the whole search; otherwise the whole search runs.
  const period = periodOf(now);
  const recent = [period - 1, period, period + 1].map(periodKey);
  const recentEnd = new Date((period + 2) * PERIOD_SECONDS * 1000);
  const rows = await db.transaction().execute(async (trx) => {
    // For this query only: no JIT compilation (planned for the estimated cost of a whole scan, it
    // took 1–2 s at 1M cases for queries that read one page), and bitmaps that stay exact (a lossy
    // one makes the scan recompute gz_grams for every case on its pages). And a plan of its own for
    // every search (statements are prepared, server/db/database.ts): how many cases a term, a
    // category or a queue holds differs by orders of magnitude, which a generic plan cannot know.
    await sql`select set_config('jit', 'off', true), set_config('work_mem', '16MB', true), set_config('plan_cache_mode', 'force_custom_plan', true)`.execute(
      trx,
    );
    if (terms.length > 0) {
      const first = (
        await trx.executeQuery(pageOf(q.where(sql<boolean>`${caseKeys('c')} && ${sql.val(recent)}::text[]`)))
      ).rows;
      if (first.length > f.limit) {
        const newer = await trx
          .selectFrom('cases')
          .select('id')
          .where('county_code', '=', actor.countyCode)
          .where('received_at', '>=', recentEnd)
          .limit(1)
          .execute();
        if (newer.length === 0) return first;
      }
    }
    return (await trx.executeQuery(pageOf(q))).rows;
  });
  return { items: rows.slice(0, f.limit), hasMore: rows.length > f.limit };
}
