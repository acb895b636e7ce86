import { type Kysely, type Selectable, sql } from 'kysely';
import type { Actor, StaffActor } from '../../authz/actor.ts';
import { roleCan } from '../../authz/permissions.ts';
import { caseVisibleTo } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import type { CaseRow, CaseUnitsTable, DB } from '../../db/schema.ts';
import { countyConfig } from '../../engine/config.ts';
import { allowedActions, loadCase, type Meta, perform, STATE_LABELS } from '../../engine/engine.ts';
import { type IntakeInput, receiveCase } from '../../engine/intake.ts';
import { workflowOf } from '../../engine/registry.ts';
import { scoreDuplicates } from '../../engine/similarity.ts';
import { AppError } from '../../lib/errors.ts';
import { type CasePhoto, listCaseAttachments } from '../attachments/attachments.repository.ts';
import { audit } from '../audit/audit.ts';
import { type CaseFilter, searchCases } from './cases.repository.ts';

/** Actions a citizen's timeline shows; internal steps (urges, audits, returns) stay with staff. */
const CITIZEN_VISIBLE = new Set([
  'receive',
  'dispatch',
  'answer_directly',
  'sign',
  'reply',
  'rate',
  'revisit',
  'close',
  'merge',
  'redo',
  'void',
]);

/** Receives a case from staff (operator quick entry, grid worker report) or a citizen. */
export async function intake(ctx: AppContext, actor: Actor, input: IntakeInput, meta: Meta) {
  if (actor.kind === 'staff') {
    if (
      input.type === 'event' &&
      ![
        'grid_worker',
        'cadre',
        'village_handler',
        'township_dispatcher',
        'county_dispatcher',
        'operator',
      ].includes(actor.role)
    ) {
      throw new AppError('FORBIDDEN');
    }
  } else if (actor.kind === 'citizen') {
    if (input.type !== 'appeal') throw new AppError('FORBIDDEN');
  }
  const r = await receiveCase(ctx, actor, input, meta);
  if (r.replayed) return { ...(await caseDetail(ctx, actor, r.case.id)), replayed: true };
  // A new case is answered from what its intake wrote: the row, its deadlines and photos; it has no
  // units and no whistles yet. The same presentation as every other read of it.
  const parts: DetailParts = { units: [], whistles: [], ...r.written };
  return { ...(await presentCase(ctx, actor, r.case, parts)), replayed: false };
}

/** A category's name, from the engine's copy of the county's categories (a read if it is not there). */
async function categoryOf(ctx: AppContext, countyCode: string, id: string) {
  const known = (await countyConfig(ctx, countyCode)).categories.get(id);
  if (known) return { id: known.id, name: known.name };
  return ctx.database.db
    .selectFrom('categories')
    .select(['id', 'name'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Names of org units, for presenting. */
async function orgNames(db: Kysely<DB>, ids: (string | null)[]) {
  const list = [...new Set(ids.filter((x): x is string => Boolean(x)))];
  if (!list.length) return new Map<string, string>();
  const rows = await db.selectFrom('org_units').select(['id', 'name']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * A case as the reader may see it: contact masked (hidden entirely when anonymous or
 * confidential), routing reasons, units, open deadlines, whistles and the actions the server
 * allows this reader now.
 */
export async function caseDetail(ctx: AppContext, actor: Actor, id: string) {
  const db = ctx.database.db;
  const c = await loadCase(db, actor, id);
  const [units, deadlines, whistles, photos] = await Promise.all([
    db.selectFrom('case_units').selectAll().where('case_id', '=', c.id).orderBy('relation').execute(),
    db
      .selectFrom('case_deadlines')
      .select(['stage', 'org_id', 'due_at', 'status'])
      .where('case_id', '=', c.id)
      .where('status', 'in', ['pending', 'warned', 'overdue'])
      .orderBy('due_at')
      .execute(),
    db
      .selectFrom('whistles as w')
      .innerJoin('whistle_reports as r', 'r.whistle_id', 'w.id')
      .select([
        'w.id',
        'w.reason_class',
        'w.message',
        'w.created_at',
        'w.whistler_org_id',
        'r.department_id',
        'r.status',
        'r.due_at',
        'r.reported_at',
        'r.responder',
        'r.action_taken',
        'r.late',
        'r.rating',
      ])
      .where('w.case_id', '=', c.id)
      .orderBy('w.created_at')
      .execute(),
    listCaseAttachments(db, c.id),
  ]);
  return presentCase(ctx, actor, c, { units, deadlines, whistles, photos });
}

/** What a case's detail shows besides its row. */
interface DetailParts {
  units: Pick<Selectable<CaseUnitsTable>, 'org_id' | 'relation' | 'status' | 'reply'>[];
  /** Open deadlines, earliest first. */
  deadlines: { stage: string; org_id: string | null; due_at: Date; status: string }[];
  whistles: {
    id: string;
    reason_class: string;
    message: string;
    created_at: Date;
    whistler_org_id: string;
    department_id: string;
    status: string;
    due_at: Date;
    reported_at: Date | null;
    responder: string | null;
    action_taken: string | null;
    late: boolean;
    rating: number | null;
  }[];
  photos: CasePhoto[];
}

/** The detail of a case the reader may see (the caller has checked that), from its parts. */
async function presentCase(ctx: AppContext, actor: Actor, c: CaseRow, parts: DetailParts) {
  const db = ctx.database.db;
  const { units, deadlines, whistles, photos } = parts;
  const [category, actions] = await Promise.all([
    c.category_id ? categoryOf(ctx, c.county_code, c.category_id) : undefined,
    allowedActions(db, actor, c, units),
  ]);
  const names = await orgNames(db, [
    c.lead_org_id,
    c.village_id,
    c.township_id,
    ...units.map((u) => u.org_id),
    ...whistles.flatMap((w) => [w.department_id, w.whistler_org_id]),
    suggestedLeadOf(c.routing),
  ]);
  const isStaff = actor.kind === 'staff';
  const citizenView = actor.kind === 'citizen';
  return {
    case: {
      id: c.id,
      code: c.code,
      type: c.type,
      typeLabel: workflowOf(c.type).label,
      state: c.state,
      stateLabel: STATE_LABELS[c.state] ?? c.state,
      version: c.version,
      channel: c.channel,
      category: category ? { id: category.id, name: category.name } : null,
      urgency: c.urgency,
      title: c.title,
      description: c.description,
      location: {
        lon: c.lon,
        lat: c.lat,
        address: c.address,
        gridId: c.grid_id,
        villageId: c.village_id,
        villageName: c.village_id ? (names.get(c.village_id) ?? null) : null,
        townshipId: c.township_id,
        townshipName: c.township_id ? (names.get(c.township_id) ?? null) : null,
      },
      // The suggested unit's name comes with it: a viewer may not be allowed to read that unit
      // (a village handler and the department routing suggested), and needs its name all the same.
      routing: isStaff ? withSuggestedName(c.routing, names) : null,
      lead: c.lead_org_id ? { id: c.lead_org_id, name: names.get(c.lead_org_id) ?? c.lead_org_id } : null,
      units: units.map((u) => ({
        orgId: u.org_id,
        name: names.get(u.org_id) ?? u.org_id,
        relation: u.relation,
        status: u.status,
        reply: isStaff ? u.reply : null,
      })),
      supervisionLevel: isStaff ? c.supervision_level : 'none',
      redoCount: c.redo_count,
      extensionCount: c.extension_count,
      returnCount: c.return_count,
      pending: isStaff ? (c.pending as Record<string, unknown>) : {},
      contact: presentContact(c, actor),
      resolved: c.resolved,
      satisfaction: c.satisfaction,
      attachments: photos.map((p) => ({
        id: p.id,
        width: p.width,
        height: p.height,
        size: p.size,
        source: p.uploader_kind,
        createdAt: p.created_at.toISOString(),
      })),
      receivedAt: c.received_at.toISOString(),
      dispatchedAt: c.dispatched_at?.toISOString() ?? null,
      repliedAt: c.replied_at?.toISOString() ?? null,
      closedAt: c.closed_at?.toISOString() ?? null,
      mergedInto: c.merged_into,
      deadlines: citizenView
        ? []
        : deadlines.map((d) => ({
            stage: d.stage,
            orgId: d.org_id,
            dueAt: d.due_at.toISOString(),
            status: d.status,
          })),
      whistles: isStaff
        ? whistles.map((w) => ({
            id: w.id,
            reasonClass: w.reason_class,
            message: w.message,
            createdAt: w.created_at.toISOString(),
            whistlerOrgId: w.whistler_org_id,
            departmentId: w.department_id,
            departmentName: names.get(w.department_id) ?? w.department_id,
            status: w.status,
            dueAt: w.due_at.toISOString(),
            reportedAt: w.reported_at?.toISOString() ?? null,
            responder: w.responder,
            actionTaken: w.action_taken,
            late: w.late,
            rating: w.rating,
          }))
        : [],
    },
    abilities: { actions, revealContact: canRevealContact(actor, c) },
  };
}

function presentContact(c: CaseRow, actor: Actor) {
  if (c.anonymous)
    return { anonymous: true, confidential: c.confidential, phoneMasked: null, hasName: false };
  if (actor.kind === 'citizen')
    return {
      anonymous: false,
      confidential: c.confidential,
      phoneMasked: c.contact_phone_masked,
      hasName: c.contact_name_enc !== null,
    };
  // Confidential appeals hide the citizen from handlers; only the centre may reveal, with a record.
  if (c.confidential) return { anonymous: false, confidential: true, phoneMasked: null, hasName: false };
  return {
    anonymous: false,
    confidential: false,
    phoneMasked: c.contact_phone_masked,
    hasName: c.contact_name_enc !== null,
  };
}

/** May this reader reveal the citizen's contact on this case? */
export function canRevealContact(actor: Actor, c: CaseRow): boolean {
  if (actor.kind !== 'staff' || c.anonymous || !c.contact_phone_enc) return false;
  if (!roleCan(actor.role, 'case.reveal_contact')) return false;
  if (c.confidential) return actor.role === 'operator' || actor.role === 'county_dispatcher';
  return true;
}

/** Shows the citizen's contact to a handler who needs to call back, recording who, when and why. */
export async function revealContact(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  reason: string,
  meta: Meta,
) {
  return ctx.database.transaction(async (trx) => {
    const c = await loadCase(trx, actor, id);
    if (!canRevealContact(actor, c)) throw new AppError('FORBIDDEN');
    await audit(trx, actor, {
      action: 'case.contact_revealed',
      targetType: 'case',
      targetId: c.id,
      detail: { reason },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return {
      name: c.contact_name_enc ? ctx.cipher.decrypt(c.contact_name_enc) : null,
      phone: c.contact_phone_enc ? ctx.cipher.decrypt(c.contact_phone_enc) : null,
    };
  });
}

/** The case's history: who did what and when, masked by the reader's rights. */
export async function timeline(ctx: AppContext, actor: Actor, id: string) {
  const db = ctx.database.db;
  const c = await loadCase(db, actor, id);
  const wf = workflowOf(c.type);
  const events = await db
    .selectFrom('case_events as e')
    .leftJoin('users as u', (j) => j.on((eb) => eb(sql`u.id::text`, '=', eb.ref('e.actor_id'))))
    .leftJoin('org_units as o', 'o.id', 'e.actor_org_id')
    .select([
      'e.seq',
      'e.action',
      'e.from_state',
      'e.to_state',
      'e.actor_kind',
      'e.at',
      'e.payload',
      'u.display_name',
      'o.name as org_name',
    ])
    .where('e.case_id', '=', c.id)
    .orderBy('e.seq')
    .execute();
  const citizen = actor.kind === 'citizen';
  return {
    items: events
      .filter((e) => !citizen || CITIZEN_VISIBLE.has(e.action))
      .map((e) => {
        const { m: _m, attr: _a, requestId: _r, ...details } = e.payload as Record<string, unknown>;
        const label =
          e.action === 'receive'
            ? '受理'
            : e.action === 'overdue'
              ? '超期'
              : (wf.actions[e.action]?.label ?? e.action);
        return {
          seq: e.seq,
          at: e.at.toISOString(),
          action: e.action,
          label,
          fromState: e.from_state,
          toState: e.to_state,
          actor:
            e.actor_kind === 'system'
              ? { kind: 'system', name: '系统' }
              : e.actor_kind === 'citizen'
                ? { kind: 'citizen', name: citizen ? '我' : '群众' }
                : // Citizens see the unit, not the individual officer.
                  {
                    kind: 'staff',
                    name: citizen
                      ? (e.org_name ?? '工作人员')
                      : `${e.display_name ?? ''}${e.org_name ? `（${e.org_name}）` : ''}`,
                  },
          details: citizen ? citizenDetails(e.action, details) : details,
        };
      }),
  };
}

function citizenDetails(action: string, d: Record<string, unknown>): Record<string, unknown> {
  switch (action) {
    case 'reply':
      return { reply: d.reply };
    case 'answer_directly':
      return { answer: d.answer };
    case 'dispatch':
      return { leadName: d.leadName };
    case 'merge':
      return { intoCode: d.intoCode };
    case 'rate':
    case 'revisit':
      return { resolved: d.resolved, satisfaction: d.satisfaction };
    default:
      return {};
  }
}

/** Performs a workflow action and returns the case as the actor now sees it. */
export async function act(
  ctx: AppContext,
  actor: Actor,
  id: string,
  action: string,
  input: unknown,
  version: number | undefined,
  meta: Meta,
) {
  await perform(ctx, actor, id, action, input, { version, meta });
  return caseDetail(ctx, actor, id);
}

/** Lists a staff member's cases by queue and filters. */
export async function listCases(ctx: AppContext, actor: StaffActor, f: CaseFilter) {
  const { items, hasMore } = await searchCases(ctx.database.db, actor, f, ctx.clock.now());
  return {
    items: items.map((r) => ({
      id: r.id,
      code: r.code,
      type: r.type,
      state: r.state,
      stateLabel: STATE_LABELS[r.state] ?? r.state,
      title: r.title,
      urgency: r.urgency,
      channel: r.channel,
      categoryId: r.category_id,
      categoryName: r.category_name,
      leadOrgId: r.lead_org_id,
      leadName: r.lead_name,
      villageId: r.village_id,
      villageName: r.village_name,
      supervisionLevel: r.supervision_level,
      receivedAt: r.received_at.toISOString(),
      nextDueAt: r.next_due_at ? new Date(r.next_due_at).toISOString() : null,
      version: r.version,
    })),
    hasMore,
  };
}

/**
 * Similar open appeals (same category, nearby, similar words) for an operator typing a new one or
 * a dispatcher looking at a received case.
 */
export async function suggestDuplicates(
  ctx: AppContext,
  actor: StaffActor,
  input: {
    text: string;
    categoryId: string;
    lon?: number | undefined;
    lat?: number | undefined;
    excludeId?: string | undefined;
  },
) {
  const db = ctx.database.db;
  const since = new Date(ctx.clock.now().getTime() - 90 * 24 * 3600_000);
  let q = db
    .selectFrom('cases as c')
    .select([
      'c.id',
      'c.code',
      'c.title',
      'c.description',
      'c.category_id',
      'c.lon',
      'c.lat',
      'c.received_at',
      'c.state',
    ])
    .where(caseVisibleTo(actor, 'c'))
    .where('c.closed_at', 'is', null)
    .where('c.type', '=', 'appeal')
    .where('c.received_at', '>=', since)
    .where('c.category_id', '=', input.categoryId)
    .orderBy('c.received_at', 'desc')
    .limit(300);
  if (input.excludeId) q = q.where('c.id', '<>', input.excludeId);
  const rows = await q.execute();
  const scored = scoreDuplicates(
    { text: input.text, categoryId: input.categoryId, lon: input.lon ?? null, lat: input.lat ?? null },
    rows.map((r) => ({
      id: r.id,
      text: `${r.title} ${r.description}`,
      categoryId: r.category_id ?? '',
      lon: r.lon,
      lat: r.lat,
      createdAt: r.received_at,
    })),
    { minScore: 0.45 },
  ).slice(0, 5);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    items: scored.map((s) => {
      const r = byId.get(s.id)!;
      return {
        id: r.id,
        code: r.code,
        title: r.title,
        state: r.state,
        receivedAt: r.received_at.toISOString(),
        score: Math.round(s.score * 100) / 100,
        reasons: s.reasons,
      };
    }),
  };
}

/** A citizen's own appeals, newest first. */
export async function myCases(ctx: AppContext, citizenId: string, countyCode: string) {
  const rows = await ctx.database.db
    .selectFrom('cases')
    .select(['id', 'code', 'state', 'title', 'received_at', 'replied_at', 'closed_at', 'satisfaction'])
    .where('county_code', '=', countyCode)
    .where('citizen_id', '=', citizenId)
    .orderBy('received_at', 'desc')
    .limit(100)
    .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      code: r.code,
      state: r.state,
      stateLabel: STATE_LABELS[r.state] ?? r.state,
      title: r.title,
      receivedAt: r.received_at.toISOString(),
      repliedAt: r.replied_at?.toISOString() ?? null,
      closedAt: r.closed_at?.toISOString() ?? null,
      satisfaction: r.satisfaction,
    })),
  };
}

function suggestedLeadOf(routing: unknown): string | null {
  const id = (routing as { suggestedLeadOrgId?: unknown } | null)?.suggestedLeadOrgId;
  return typeof id === 'string' ? id : null;
}

function withSuggestedName(routing: unknown, names: Map<string, string>): Record<string, unknown> | null {
  if (!routing || typeof routing !== 'object') return null;
  const id = suggestedLeadOf(routing);
  return id
    ? { ...routing, suggestedLeadOrgName: names.get(id) ?? null }
    : (routing as Record<string, unknown>);
}
