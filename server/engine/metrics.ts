import { type Kysely, sql } from 'kysely';
import type { CaseRow, DB } from '../db/schema.ts';
import { metDeadline } from './deadlines.ts';
import { chinaDay, type Metrics } from './rollups.ts';
import type { Stage } from './workflow.ts';

/**
 * The assessment metrics one event adds (DESIGN §4 "Assessment"). Called before the event's deadline
 * effects are applied, so "on time" compares with the deadline that was open when the action came.
 * Definitions:
 * - response = signed on time and first contact on time (counted at first contact, once per case) ÷
 *   dispatched;
 * - closed on time = closed without any dispatch or reply deadline ever going overdue;
 * - rated / resolved / satisfied / basically_satisfied / unsatisfied from revisits and citizen ratings.
 */
export async function metricsFor(
  trx: Kysely<DB>,
  action: string,
  before: CaseRow,
  after: CaseRow,
  payload: Record<string, unknown>,
  now: Date,
): Promise<Metrics> {
  const t = before.type;
  const m: Metrics = {};
  const add = (name: string, v = 1) => {
    m[`${t}:${name}`] = (m[`${t}:${name}`] ?? 0) + v;
  };
  const stageMet = (stage: Stage) => metDeadline(trx, before.id, stage, now);
  // On time: no dispatch or reply deadline of the case ever went overdue.
  const closedOnTime = async () =>
    !(await trx
      .selectFrom('case_deadlines')
      .select('id')
      .where('case_id', '=', before.id)
      .where('stage', 'in', ['dispatch', 'reply'])
      .where('overdue_at', 'is not', null)
      .executeTakeFirst());
  switch (action) {
    case 'receive':
      add('received');
      break;
    case 'dispatch':
      if (!before.dispatched_at) {
        add('dispatched');
      }
      break;
    case 'answer_directly':
      add('answered_directly');
      break;
    case 'sign':
      add('signed');
      if (await stageMet('sign')) add('signed_on_time');
      break;
    case 'first_contact': {
      add('first_contact');
      const signDeadline = await trx
        .selectFrom('case_deadlines')
        .select(['due_at', 'done_at', 'overdue_at'])
        .where('case_id', '=', before.id)
        .where('stage', '=', 'sign')
        .orderBy('id', 'desc')
        .executeTakeFirst();
      const signedOnTime =
        !signDeadline || (signDeadline.done_at !== null && signDeadline.done_at <= signDeadline.due_at);
      // At most once per case, like `dispatched`: a reassigned or redone case makes first contact
      // again, and counting each would push the response rate past 100 %.
      const counted = await trx
        .selectFrom('case_events')
        .select('id')
        .where('case_id', '=', before.id)
        .where(sql<boolean>`payload->'m'->>${`${t}:response_ok`} is not null`)
        .executeTakeFirst();
      if (!counted && signedOnTime && (await stageMet('first_contact'))) add('response_ok');
      break;
    }
    case 'reply':
      add('replied');
      if (await stageMet('reply')) add('replied_on_time');
      break;
    case 'close': {
      add('closed');
      if (await closedOnTime()) add('closed_on_time');
      break;
    }
    case 'revisit':
    case 'rate': {
      add('rated');
      if (payload.resolved === true) add('resolved');
      const s = payload.satisfaction;
      if (s === 'satisfied' || s === 'basically_satisfied' || s === 'unsatisfied') add(s);
      break;
    }
    case 'redo':
      add('redo');
      break;
    case 'decide_extension':
      if (payload.approved === true) add('extension');
      break;
    case 'request_return':
      add('returned');
      break;
    case 'whistle':
      add('whistles');
      add('whistled_departments', Array.isArray(payload.departmentIds) ? payload.departmentIds.length : 0);
      break;
    case 'report':
      add('whistle_reports');
      add('whistle_report_minutes', Math.round(Number(payload.minutes ?? 0)));
      if (payload.late === true) add('whistle_reports_late');
      break;
    case 'rate_report':
      add('whistle_ratings');
      add('whistle_rating_sum', Number(payload.rating ?? 0));
      break;
    case 'overdue':
      add(`overdue_${String(payload.stage)}`);
      break;
    case 'void':
      add('voided');
      break;
    case 'merge':
      add('merged');
      break;
    case 'solve_on_spot':
      add('solved_on_spot');
      add('closed');
      add('closed_on_time');
      break;
    case 'auto_close':
      add('closed');
      add('auto_closed');
      if (await closedOnTime()) add('closed_on_time');
      break;
    case 'verify':
      if (after.state === 'closed') {
        add('closed');
        if (await closedOnTime()) add('closed_on_time');
      }
      break;
  }
  return m;
}

/**
 * Metrics counted on the day the case was received rather than the day of the event: a closing
 * adds `closed_cohort` there, so "closure rate" = received in a period and closed since ÷ received
 * in that period — never above 100 %, unlike closings in a period ÷ arrivals in it.
 */
export function cohortMetrics(c: CaseRow, metrics: Metrics): { metrics: Metrics; day: string } | null {
  const closedKey = `${c.type}:closed`;
  const closed = metrics[closedKey];
  if (!closed) return null;
  return { metrics: { [`${c.type}:closed_cohort`]: closed }, day: chinaDay(c.received_at) };
}
