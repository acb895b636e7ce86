import { type Kysely, sql } from 'kysely';
import { Value } from 'typebox/value';
import type { Actor, StaffActor } from '../authz/actor.ts';
import { actingUnitOf, caseVisibleTo, pathInScope, scopeOf } from '../authz/scope.ts';
import type { AppContext } from '../context.ts';
import type { CasePending, CaseRow, DB } from '../db/schema.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { enqueueWebhooks } from '../modules/webhooks/webhooks.outbox.ts';
import { countyConfig } from './config.ts';
import { insertDeadlines, type NewDeadline, planDeadlines, toNewDeadlines } from './deadlines.ts';
import { announce, type LiveEvent } from './live.ts';
import { cohortMetrics, metricsFor } from './metrics.ts';
import { notificationRows } from './notify.ts';
import { workflowOf } from './registry.ts';
import { addRollupBatch, attributionOf, chinaDay, type Metrics } from './rollups.ts';
import type {
  ActionContext,
  ActionDef,
  DeadlineEffect,
  EffectResult,
  Relation,
  WorkflowDef,
} from './workflow.ts';

/** Request facts recorded with each event. */
export interface Meta {
  ip?: string | undefined;
  requestId?: string | undefined;
}

/** The unit a staff actor acts for; null for citizens and the system. */
export function unitOf(actor: Actor): string | null {
  return actor.kind === 'staff' ? actingUnitOf(actor) : null;
}

/**
 * How the actor relates to the case (empty: the case is not theirs to see). `units`: the case's
 * units when the caller has them (a case just received has none), saving their read.
 */
export async function relationsOf(
  trx: Kysely<DB>,
  actor: Actor,
  c: CaseRow,
  units?: readonly { org_id: string; relation: string }[],
): Promise<Set<Relation>> {
  const rel = new Set<Relation>();
  if (actor.kind === 'citizen') {
    if (c.citizen_id === actor.citizenId && c.county_code === actor.countyCode) rel.add('owner');
    return rel;
  }
  if (actor.kind !== 'staff' || actor.countyCode !== c.county_code) return rel;
  if (pathInScope(scopeOf(actor), c.county_code, c.path)) rel.add('jurisdiction');
  if (c.reporter_user_id === actor.userId) rel.add('reporter');
  const unit = actingUnitOf(actor);
  if (c.lead_org_id === unit) rel.add('lead');
  const mine = units
    ? units.filter((u) => u.org_id === unit)
    : await trx
        .selectFrom('case_units')
        .select('relation')
        .where('case_id', '=', c.id)
        .where('org_id', '=', unit)
        .execute();
  for (const u of mine) if (u.relation !== 'lead') rel.add(u.relation as Relation);
  return rel;
}

/** Loads a case the actor may see (404 otherwise), optionally locking its row for an action. */
export async function loadCase(trx: Kysely<DB>, actor: Actor, id: string, lock = false): Promise<CaseRow> {
  let q = trx
    .selectFrom('cases')
    .selectAll()
    .where('id', '=', id)
    .where('county_code', '=', actor.countyCode);
  if (actor.kind === 'staff') q = q.where(caseVisibleTo(actor, 'cases'));
  else if (actor.kind === 'citizen') q = q.where('citizen_id', '=', actor.citizenId);
  else if (actor.kind !== 'system') throw notFound();
  const c = await (lock ? q.forUpdate() : q).executeTakeFirst();
  if (!c) throw notFound();
  return c;
}

/** Whether the actor's role and relation satisfy one of the action's rules. */
export function mayTake(def: ActionDef, actor: Actor, rel: Set<Relation>): boolean {
  const role = actor.kind === 'staff' ? actor.role : actor.kind === 'citizen' ? 'citizen' : 'system';
  return def.who.some(
    (r) => (r.roles as readonly string[]).includes(role) && (role === 'system' || rel.has(r.relation)),
  );
}

/** The actions this actor may take on the case now (what the UI shows). */
export async function allowedActions(
  trx: Kysely<DB>,
  actor: Actor,
  c: CaseRow,
  units?: readonly { org_id: string; relation: string }[],
): Promise<string[]> {
  const wf = workflowOf(c.type);
  const rel = await relationsOf(trx, actor, c, units);
  return Object.entries(wf.actions as Record<string, ActionDef>)
    .filter(([, def]) => (def.from as readonly string[]).includes(c.state) && mayTake(def, actor, rel))
    .map(([name]) => name);
}

/** The Chinese label of a state or action, for messages. */
function labelOf(wf: WorkflowDef, action: string): string {
  return (wf.actions as Record<string, ActionDef>)[action]?.label ?? action;
}

/**
 * Performs one workflow action, in one transaction: check the state, the actor's right and the
 * guard; apply the effect; append the event; update the case row; set or clear deadlines; enqueue
 * notifications; add the metrics to the rollups. A stale `version` answers 409 CONFLICT.
 */
export async function perform(
  ctx: AppContext,
  actor: Actor,
  caseId: string,
  action: string,
  rawInput: unknown,
  opts: { version?: number | undefined; meta?: Meta } = {},
): Promise<EventResult> {
  return ctx.database.transaction(async (trx) => {
    const c = await loadCase(trx, actor, caseId, true);
    const wf = workflowOf(c.type);
    const def = (wf.actions as Record<string, ActionDef>)[action];
    if (!def)
      throw new AppError('VALIDATION_FAILED', {
        details: [{ field: 'action', message: `未知操作：${action}` }],
      });
    if (opts.version !== undefined && opts.version !== c.version) throw new AppError('CONFLICT');
    if (!(def.from as readonly string[]).includes(c.state)) {
      throw new AppError('INVALID_TRANSITION', {
        message: `当前状态（${stateLabel(c.state)}）不能执行“${labelOf(wf, action)}”`,
      });
    }
    const rel = await relationsOf(trx, actor, c);
    if (!mayTake(def, actor, rel)) throw new AppError('FORBIDDEN');
    const input = validateInput(def, rawInput);
    const now = ctx.clock.now();
    const a: ActionContext = { ctx, trx, actor, actorUnit: unitOf(actor), case: c, input, now };
    const problem = def.guard ? await def.guard(a as ActionContext<never>) : null;
    if (problem) throw new AppError('GUARD_FAILED', { message: problem });
    const result: EffectResult = def.effect ? await def.effect(a as ActionContext<never>) : {};
    return commitEvent(trx, ctx, actor, c, {
      action,
      to: result.to ?? def.to ?? c.state,
      set: result.set ?? {},
      payload: result.payload ?? {},
      deadlines: mergeDeadlines(def.deadlines, result.deadlines),
      notify: [...(def.notify ?? []), ...(result.notify ?? [])],
      now,
      bumpVersion: true,
      meta: opts.meta,
      ...(result.metricsUnit ? { metricsUnit: result.metricsUnit } : {}),
    });
  });
}

function mergeDeadlines(a?: DeadlineEffect, b?: DeadlineEffect): DeadlineEffect {
  const cancel =
    a?.cancel === 'all' || b?.cancel === 'all' ? 'all' : [...(a?.cancel ?? []), ...(b?.cancel ?? [])];
  return {
    done: [...(a?.done ?? []), ...(b?.done ?? [])],
    cancel,
    set: [...(a?.set ?? []), ...(b?.set ?? [])],
  };
}

function validateInput(def: ActionDef, raw: unknown): Record<string, unknown> {
  const input = raw ?? {};
  if (!Value.Check(def.input, input)) {
    const details: { field: string; message: string }[] = [];
    for (const e of Value.Errors(def.input, input)) {
      const base = (e.instancePath || '/').replace(/^\//, '').replaceAll('/', '.');
      // A missing or unknown property is reported on its parent object: name the property itself.
      const params = e.params as { requiredProperties?: string[]; additionalProperties?: string[] };
      const named =
        e.keyword === 'required'
          ? { names: params.requiredProperties ?? [], message: '此项必填' }
          : e.keyword === 'additionalProperties'
            ? { names: params.additionalProperties ?? [], message: '不允许的字段' }
            : undefined;
      const items = named?.names.length
        ? named.names.map((n) => ({ field: base ? `${base}.${n}` : n, message: named.message }))
        : [{ field: base || 'input', message: e.message }];
      for (const item of items) if (!details.some((d) => d.field === item.field)) details.push(item);
    }
    throw new AppError('VALIDATION_FAILED', { details: details.slice(0, 20) });
  }
  return input as Record<string, unknown>;
}

export interface EventSpec {
  action: string;
  to: string;
  set: NonNullable<EffectResult['set']>;
  payload: Record<string, unknown>;
  deadlines: DeadlineEffect;
  notify: NonNullable<EffectResult['notify']>;
  now: Date;
  /** User actions bump the version (optimistic concurrency); system events (overdue) do not. */
  bumpVersion: boolean;
  meta?: Meta | undefined;
  /** Unit the metrics count for, when not the lead (a whistled department's report). */
  metricsUnit?: string;
  /**
   * The case row was inserted in this transaction exactly as it should be after the event (intake):
   * no update of it, no earlier events, no deadlines to close.
   */
  fresh?: boolean;
}

/** Appends an event and applies its consequences. The case row must be locked by the caller. */
export async function commitEvent(
  trx: Kysely<DB>,
  ctx: AppContext,
  actor: Actor,
  c: CaseRow,
  spec: EventSpec,
): Promise<EventResult> {
  const [result] = await commitEvents(trx, ctx, [{ actor, case: c, spec }]);
  return result!;
}

/** What committing an event gave: the case after it, the event's id and the deadlines it opened. */
export interface EventResult {
  case: CaseRow;
  eventId: number;
  newDeadlines: NewDeadline[];
}

/**
 * Appends the events of several cases and applies their consequences, each kind of write once for
 * all of them: one insert of the events, one of the new deadlines, one of the outbox, one rollup
 * upsert (deltas of shared rows summed), one announcement. `commitEvent` is this with one event;
 * a batch of intakes (intake.ts) passes many. The case rows must be locked (or fresh) and distinct.
 */
export async function commitEvents(
  trx: Kysely<DB>,
  ctx: AppContext,
  items: readonly { actor: Actor; case: CaseRow; spec: EventSpec }[],
): Promise<EventResult[]> {
  const planned = [];
  for (const { actor, case: c, spec } of items) {
    const { pending, ...columns } = spec.set;
    const next: CaseRow = spec.fresh
      ? { ...c, state: spec.to }
      : await trx
          .updateTable('cases')
          .set((eb) => ({
            ...columns,
            ...(pending !== undefined ? { pending: JSON.stringify(pending satisfies CasePending) } : {}),
            state: spec.to,
            ...(spec.bumpVersion ? { version: eb('version', '+', 1) } : {}),
            updated_at: spec.now,
          }))
          .where('id', '=', c.id)
          .returningAll()
          .executeTakeFirstOrThrow();
    const config = await countyConfig(ctx, c.county_code, trx);
    const category = next.category_id
      ? (config.categories.get(next.category_id) ??
        (await trx
          .selectFrom('categories')
          .select(['id', 'parent_id'])
          .where('id', '=', next.category_id)
          .executeTakeFirst()))
      : undefined;
    const attr = attributionOf(next, category?.parent_id ?? category?.id ?? '', spec.metricsUnit);
    const metrics: Metrics = await metricsFor(trx, spec.action, c, next, spec.payload, spec.now);
    const cohort = cohortMetrics(next, metrics);
    planned.push({ actor, c, spec, next, config, attr, metrics, cohort });
  }
  const events = await trx
    .insertInto('case_events')
    .values(
      planned.map(({ actor, c, spec, metrics, attr, cohort }) => ({
        case_id: c.id,
        county_code: c.county_code,
        // The next number in the case's log, in the insert itself (the case row is locked).
        seq: spec.fresh
          ? 1
          : sql<number>`(select coalesce(max(seq), 0) + 1 from case_events where case_id = ${c.id})`,
        action: spec.action,
        from_state: c.state,
        to_state: spec.to,
        actor_kind: actor.kind,
        actor_id: actor.kind === 'staff' ? actor.userId : actor.kind === 'citizen' ? actor.citizenId : null,
        actor_org_id: unitOf(actor),
        at: spec.now,
        payload: JSON.stringify({
          ...spec.payload,
          m: metrics,
          attr,
          ...(cohort ? { mc: cohort.metrics, mcDay: cohort.day } : {}),
          requestId: spec.meta?.requestId,
        }),
      })),
    )
    .returning(['id', 'case_id'])
    .execute();
  const eventIdOf = new Map(events.map((e) => [e.case_id, e.id]));
  const deadlineRows = [];
  const newDeadlines: NewDeadline[][] = [];
  for (const { next, spec, config } of planned) {
    const rows = await planDeadlines(trx, next, spec.deadlines, spec.now, {
      config,
      fresh: spec.fresh ?? false,
    });
    deadlineRows.push(...rows);
    newDeadlines.push(toNewDeadlines(rows));
  }
  await insertDeadlines(trx, deadlineRows);
  const outbox = planned.flatMap(({ next, spec }) => notificationRows(next, spec.notify, spec.now));
  if (outbox.length) await trx.insertInto('notifications').values(outbox).execute();
  await enqueueWebhooks(
    trx,
    planned.map(({ actor, c, spec, next }) => ({
      case: next,
      facts: {
        eventId: eventIdOf.get(c.id)!,
        action: spec.action,
        from: c.state,
        at: spec.now,
        actorUnit: unitOf(actor),
      },
    })),
  );
  // Rollup rows are shared by every case of a village, unit and category on a day: upsert them
  // last, so that their row locks are held for as short a time as possible before the commit.
  for (const county of new Set(planned.map((p) => p.c.county_code))) {
    await addRollupBatch(
      trx,
      county,
      planned
        .filter((p) => p.c.county_code === county)
        .flatMap(({ spec, attr, metrics, cohort }) => [
          { day: chinaDay(spec.now), attr, metrics },
          ...(cohort ? [{ day: cohort.day, attr, metrics: cohort.metrics }] : []),
        ]),
    );
  }
  await announce(
    trx,
    planned.flatMap(({ c, spec, next }): { kind: LiveEvent['kind']; case: CaseRow; at: Date }[] =>
      spec.action === 'receive'
        ? [{ kind: 'received', case: next, at: spec.now }]
        : next.state === 'closed' && c.state !== 'closed'
          ? [{ kind: 'closed', case: next, at: spec.now }]
          : [],
    ),
  );
  return planned.map(({ c, next }, i) => ({
    case: next,
    eventId: eventIdOf.get(c.id)!,
    newDeadlines: newDeadlines[i]!,
  }));
}

/** Chinese state labels for messages (the UI translates by code). */
export function stateLabel(state: string): string {
  return STATE_LABELS[state] ?? state;
}

export const STATE_LABELS: Record<string, string> = {
  received: '已受理',
  answered_directly: '直接答复',
  dispatched: '已派单',
  return_requested: '退单申请中',
  signed: '已签收',
  in_progress: '办理中',
  replied: '已答复',
  audited: '已审核',
  revisited: '已回访',
  closed: '已办结',
  suspended: '已挂起',
  voided: '已作废',
  merged: '已合并',
  reported: '已上报',
  solved_on_spot: '现场解决',
};

export type { StaffActor };
