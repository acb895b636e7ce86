import { type Kysely, sql } from 'kysely';
import type { CaseRow, DB, WebhookEvent } from '../../db/schema.ts';
import { STATE_LABELS } from '../../engine/engine.ts';
import { workflowOf } from '../../engine/registry.ts';

/** The case events other systems may subscribe to, in the order a case meets them. */
export const WEBHOOK_EVENTS = ['case.created', 'case.dispatched', 'case.replied', 'case.closed'] as const;

/** The facts of one committed case event that decide whether, and what, to send. */
export interface CaseEventFacts {
  /** `case_events.id`: the same for every subscription, so receivers can match deliveries to it. */
  eventId: number;
  action: string;
  /** State before the event ('' for intake). */
  from: string;
  at: Date;
  /** Unit that acted (an org code), null for citizens and the system. */
  actorUnit: string | null;
}

/**
 * Which webhook event a case event is, if any. Decided by the state the case enters, so that every
 * path into it counts (a redispatch, a redo and a reassignment are dispatches too):
 * - `case.created`: intake (`receive`);
 * - `case.dispatched`: the case enters `dispatched` (dispatch, reassign, redo, decide_return);
 * - `case.replied`: it enters `replied` (the lead's reply) or `answered_directly`;
 * - `case.closed`: it enters an end state of its workflow — `closed` (close, solve_on_spot, verify)
 *   but also `voided` and `merged`; the payload's `state` says which.
 * Resuming a suspended case returns it to where it was and is no event.
 */
export function webhookEventOf(type: string, action: string, from: string, to: string): WebhookEvent | null {
  if (action === 'receive') return 'case.created';
  if (action === 'resume') return null;
  if (to === 'dispatched') return 'case.dispatched';
  if (from === to) return null;
  if (to === 'replied' || to === 'answered_directly') return 'case.replied';
  const terminal = workflowOf(type).terminal as readonly string[];
  if (terminal.includes(to) && !terminal.includes(from)) return 'case.closed';
  return null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The body sent for a case event. No personal data: no contact, no name, no free text written by
 * a citizen (title, description, address) and no exact position — codes, category, state, units and
 * times only. Administrative area codes are public (GB/T 2260).
 */
export function casePayload(
  event: WebhookEvent,
  c: CaseRow,
  facts: CaseEventFacts,
  names: { category: string | null; lead: string | null },
) {
  return {
    event,
    eventId: facts.eventId,
    occurredAt: facts.at.toISOString(),
    action: facts.action,
    county: c.county_code,
    case: {
      id: c.id,
      code: c.code,
      type: c.type,
      channel: c.channel,
      category: c.category_id ? { id: c.category_id, name: names.category ?? c.category_id } : null,
      urgency: c.urgency,
      state: c.state,
      stateLabel: STATE_LABELS[c.state] ?? c.state,
      previousState: facts.from || null,
      townshipId: c.township_id,
      villageId: c.village_id,
      gridId: c.grid_id,
      leadUnit: c.lead_org_id ? { id: c.lead_org_id, name: names.lead ?? c.lead_org_id } : null,
      actorUnit: facts.actorUnit,
      receivedAt: iso(c.received_at),
      dispatchedAt: iso(c.dispatched_at),
      repliedAt: iso(c.replied_at),
      closedAt: iso(c.closed_at),
    },
  };
}

/**
 * Enqueues one delivery per active subscription to each event, in the case events' transaction:
 * a rolled-back action sends nothing, and a committed one is never forgotten (the deliverer sends
 * it afterwards). Called by the engine's `commitEvents` for every event (one subscription read per
 * county and webhook event); most events are no webhook event and cost nothing.
 */
export async function enqueueWebhooks(
  trx: Kysely<DB>,
  items: readonly { case: CaseRow; facts: CaseEventFacts }[],
): Promise<void> {
  const due = items.flatMap(({ case: c, facts }) => {
    const event = webhookEventOf(c.type, facts.action, facts.from, c.state);
    return event ? [{ c, facts, event }] : [];
  });
  const subsOf = new Map<string, { id: string }[]>();
  const rows = [];
  for (const { c, facts, event } of due) {
    const key = `${c.county_code}|${event}`;
    let list = subsOf.get(key);
    if (!list) {
      list = await trx
        .selectFrom('webhook_subscriptions')
        .select('id')
        .where('county_code', '=', c.county_code)
        .where('active', '=', true)
        .where(sql<boolean>`${event} = any(events)`)
        .execute();
      subsOf.set(key, list);
    }
    if (!list.length) continue;
    const category = c.category_id
      ? await trx.selectFrom('categories').select('name').where('id', '=', c.category_id).executeTakeFirst()
      : undefined;
    const lead = c.lead_org_id
      ? await trx.selectFrom('org_units').select('name').where('id', '=', c.lead_org_id).executeTakeFirst()
      : undefined;
    const payload = JSON.stringify(
      casePayload(event, c, facts, { category: category?.name ?? null, lead: lead?.name ?? null }),
    );
    for (const s of list)
      rows.push({
        county_code: c.county_code,
        subscription_id: s.id,
        event,
        case_event_id: facts.eventId,
        case_id: c.id,
        payload,
        next_attempt_at: facts.at,
        created_at: facts.at,
      });
  }
  if (rows.length) await trx.insertInto('webhook_deliveries').values(rows).execute();
}
