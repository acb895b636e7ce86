import { Type } from 'typebox';
import type { StaffActor } from '../../authz/actor.ts';
import { caseVisibleTo } from '../../authz/scope.ts';
import { AppError } from '../../lib/errors.ts';
import { calendarFor, EXTENSION_RULES, openDeadline, RETURN_WINDOW_WORKING_DAYS } from '../deadlines.ts';
import { checkUnits, pendingAssists, setHandlingUnits } from '../units.ts';
import type { ActionContext, ActionDef, WorkflowDef } from '../workflow.ts';
import { DECIDERS, DISPATCHERS, LEAD, OrgId, sharedActions, Text } from './shared.ts';

/**
 * The appeal workflow (诉求): the 12345 / 接诉即办 loop 受理 → 派单 → 签收 → 办理 → 答复 → 审核 → 回访 → 办结,
 * with returns, extensions, reassignment, merging, redo, suspension, voiding, urging and supervision.
 */
export const APPEAL_STATES = [
  'received',
  'answered_directly',
  'dispatched',
  'return_requested',
  'signed',
  'in_progress',
  'replied',
  'audited',
  'revisited',
  'closed',
  'suspended',
  'voided',
  'merged',
] as const;
export type AppealState = (typeof APPEAL_STATES)[number];

type A<I> = ActionContext<I>;
const OPEN: AppealState[] = [
  'received',
  'answered_directly',
  'dispatched',
  'return_requested',
  'signed',
  'in_progress',
  'replied',
  'audited',
  'revisited',
  'suspended',
];
const WORKING: AppealState[] = ['dispatched', 'signed', 'in_progress'];
const Satisfaction = Type.Union([
  Type.Literal('satisfied'),
  Type.Literal('basically_satisfied'),
  Type.Literal('unsatisfied'),
]);
const RatingInput = Type.Object(
  {
    resolved: Type.Boolean(),
    satisfaction: Satisfaction,
    comment: Type.Optional(Text(1000)),
    method: Type.Optional(
      Type.Union([Type.Literal('phone'), Type.Literal('sms'), Type.Literal('visit'), Type.Literal('portal')]),
    ),
  },
  { additionalProperties: false },
);
type Rating = {
  resolved: boolean;
  satisfaction: 'satisfied' | 'basically_satisfied' | 'unsatisfied';
  comment?: string;
  method?: string;
};
const DispatchInput = Type.Object(
  {
    leadOrgId: OrgId,
    assistOrgIds: Type.Optional(Type.Array(OrgId, { maxItems: 10 })),
    note: Type.Optional(Text(1000)),
  },
  { additionalProperties: false },
);
type Dispatch = { leadOrgId: string; assistOrgIds?: string[]; note?: string };

async function dispatchTo(a: A<Dispatch>, reason: string) {
  const [lead] = await checkUnits(a.trx, a.actor, a.case, [a.input.leadOrgId], 'leadOrgId');
  const assists = await checkUnits(a.trx, a.actor, a.case, a.input.assistOrgIds ?? [], 'assistOrgIds');
  const c = { ...a.case, lead_org_id: lead!.id };
  await setHandlingUnits(
    a.trx,
    c,
    lead!.id,
    assists.map((x) => x.id),
    a.now,
  );
  const notify = [
    {
      to: { kind: 'org' as const, id: lead!.id },
      kind: 'new_work',
      title: '新工单：{code}',
      body: '{title}',
    },
    ...assists.map((x) => ({
      to: { kind: 'org' as const, id: x.id },
      kind: 'new_work',
      title: '协办工单：{code}',
      body: '{title}',
    })),
  ];
  return {
    set: {
      lead_org_id: lead!.id,
      dispatched_at: a.case.dispatched_at ?? a.now,
      signed_at: null,
      first_contact_at: null,
    },
    payload: {
      leadOrgId: lead!.id,
      leadName: lead!.name,
      assistOrgIds: assists.map((x) => x.id),
      note: a.input.note ?? null,
      reason,
    },
    deadlines: {
      done: ['dispatch' as const],
      cancel: ['sign' as const, 'first_contact' as const],
      set: ['sign' as const, 'reply' as const],
    },
    notify,
  };
}

function ratingEffect(a: A<Rating>) {
  const unsatisfied = a.input.satisfaction === 'unsatisfied';
  return {
    set: { resolved: a.input.resolved, satisfaction: a.input.satisfaction },
    payload: { ...a.input },
    notify: unsatisfied
      ? [
          {
            to: 'supervisors' as const,
            kind: 'unsatisfied',
            title: '不满意：{code}',
            body: a.input.comment ?? '群众评价不满意，请研判是否重办',
          },
        ]
      : [],
  };
}

const actions = {
  answer_directly: {
    label: '直接答复',
    from: ['received'],
    to: 'answered_directly',
    who: DISPATCHERS,
    input: Type.Object({ answer: Text() }, { additionalProperties: false }),
    deadlines: { done: ['dispatch'], set: ['revisit'] },
    effect: (a: A<{ answer: string }>) => ({
      set: { replied_at: a.now, lead_org_id: a.actorUnit },
      payload: { answer: a.input.answer },
      notify: [
        { to: 'citizen', kind: 'replied', title: '您的诉求已答复：{code}', body: a.input.answer, sms: true },
      ],
    }),
  },
  dispatch: {
    label: '派单',
    from: ['received'],
    to: 'dispatched',
    who: DISPATCHERS,
    input: DispatchInput,
    // Overriding the routing suggestion is allowed, with a reason the timeline shows.
    guard: (a: A<Dispatch>) => {
      const suggested = (a.case.routing as { suggestedLeadOrgId?: string }).suggestedLeadOrgId;
      return suggested && a.input.leadOrgId !== suggested && !a.input.note
        ? '派往非推荐单位时须填写理由（note）'
        : null;
    },
    effect: (a: A<Dispatch>) => dispatchTo(a, 'dispatch'),
  },
  sign: {
    label: '签收',
    from: ['dispatched'],
    to: 'signed',
    who: LEAD,
    input: Type.Object({}, { additionalProperties: false }),
    deadlines: { done: ['sign'], set: ['first_contact'] },
    effect: async (a: A<Record<string, never>>) => {
      await a.trx
        .updateTable('case_units')
        .set({ status: 'signed', signed_at: a.now })
        .where('case_id', '=', a.case.id)
        .where('relation', '=', 'lead')
        .execute();
      return { set: { signed_at: a.now } };
    },
  },
  first_contact: {
    label: '先行联系',
    from: ['signed'],
    to: 'in_progress',
    who: LEAD,
    input: Type.Object(
      {
        method: Type.Union([
          Type.Literal('phone'),
          Type.Literal('visit'),
          Type.Literal('sms'),
          Type.Literal('other'),
        ]),
        note: Text(1000),
      },
      { additionalProperties: false },
    ),
    deadlines: { done: ['first_contact'] },
    effect: (a: A<{ method: string; note: string }>) => ({
      set: { first_contact_at: a.now },
      payload: { ...a.input },
    }),
  },
  assist_reply: {
    label: '协办回复',
    from: ['dispatched', 'signed', 'in_progress'],
    to: null,
    who: [
      {
        roles: ['village_handler', 'township_dispatcher', 'department_handler', 'county_dispatcher'],
        relation: 'assist',
      },
    ],
    input: Type.Object({ reply: Text() }, { additionalProperties: false }),
    effect: async (a: A<{ reply: string }>) => {
      await a.trx
        .updateTable('case_units')
        .set({ status: 'replied', replied_at: a.now, reply: a.input.reply })
        .where('case_id', '=', a.case.id)
        .where('org_id', '=', a.actorUnit ?? '')
        .where('relation', '=', 'assist')
        .execute();
      // Assisting units answer the lead unit, never the citizen.
      return {
        payload: { reply: a.input.reply, orgId: a.actorUnit },
        notify: [
          { to: 'lead', kind: 'assist_replied', title: '协办单位已回复：{code}', body: a.input.reply },
        ],
      };
    },
  },
  reply: {
    label: '答复',
    from: ['in_progress'],
    to: 'replied',
    who: LEAD,
    input: Type.Object(
      { reply: Text(), resolved: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    guard: async (a: A<{ reply: string }>) => {
      const waiting = await pendingAssists(a.trx, a.case.id);
      return waiting.length ? `协办单位尚未回复：${waiting.join('、')}` : null;
    },
    deadlines: { done: ['reply'], set: ['audit'] },
    effect: async (a: A<{ reply: string; resolved?: boolean }>) => {
      await a.trx
        .updateTable('case_units')
        .set({ status: 'replied', replied_at: a.now, reply: a.input.reply })
        .where('case_id', '=', a.case.id)
        .where('relation', '=', 'lead')
        .execute();
      return {
        set: { replied_at: a.now },
        payload: { reply: a.input.reply, resolvedByUnit: a.input.resolved ?? null },
        notify: [
          { to: 'citizen', kind: 'replied', title: '您的诉求已答复：{code}', body: a.input.reply, sms: true },
        ],
      };
    },
  },
  audit: {
    label: '审核',
    from: ['replied'],
    to: 'audited',
    who: DECIDERS,
    input: Type.Object(
      { approved: Type.Boolean(), comment: Type.Optional(Text(1000)) },
      { additionalProperties: false },
    ),
    effect: (a: A<{ approved: boolean; comment?: string }>) =>
      a.input.approved
        ? {
            payload: { ...a.input },
            deadlines: { done: ['audit'], set: ['revisit'] },
            // The citizen may rate in the portal (or by replying to the SMS) before the revisit call.
            notify: [
              {
                to: 'citizen',
                kind: 'revisit',
                title: '请评价诉求办理情况：{code}',
                body: '您的诉求已办理答复，请登录“共治”评价是否解决、是否满意，回访员也将与您联系。',
                sms: true,
              },
            ],
          }
        : {
            to: 'in_progress',
            payload: { ...a.input },
            deadlines: { done: ['audit'], set: ['reply'] },
            notify: [
              {
                to: 'lead',
                kind: 'audit_rejected',
                title: '答复未通过审核：{code}',
                body: a.input.comment ?? '请补充办理',
              },
            ],
          },
  },
  revisit: {
    label: '回访',
    from: ['audited', 'answered_directly'],
    to: 'revisited',
    who: [
      {
        roles: ['revisit_agent', 'county_dispatcher', 'township_dispatcher', 'operator'],
        relation: 'jurisdiction',
      },
    ],
    input: RatingInput,
    deadlines: { done: ['revisit'] },
    effect: ratingEffect,
  },
  rate: {
    label: '评价',
    from: ['replied', 'audited', 'answered_directly'],
    to: 'revisited',
    who: [{ roles: ['citizen'], relation: 'owner' }],
    input: RatingInput,
    deadlines: { done: ['audit', 'revisit'] },
    effect: ratingEffect,
  },
  close: {
    label: '办结',
    from: ['revisited'],
    to: 'closed',
    who: DECIDERS,
    input: Type.Object({ note: Type.Optional(Text(1000)) }, { additionalProperties: false }),
    guard: (a: A<{ note?: string }>) =>
      a.case.satisfaction === 'unsatisfied' && !a.input.note
        ? '群众不满意：请重办，或填写不予重办的理由后办结'
        : null,
    deadlines: { cancel: 'all' },
    effect: (a: A<{ note?: string }>) => ({
      set: { closed_at: a.now },
      payload: { note: a.input.note ?? null },
      notify: [{ to: 'citizen', kind: 'closed', title: '您的诉求已办结：{code}', body: '感谢您的反映。' }],
    }),
  },
  redo: {
    label: '重办',
    from: ['revisited'],
    to: 'dispatched',
    who: DECIDERS,
    input: Type.Object({ reason: Text(1000) }, { additionalProperties: false }),
    guard: (a: A<{ reason: string }>) =>
      a.case.satisfaction === 'unsatisfied' ? null : '只有群众不满意的工单才能重办',
    deadlines: { set: ['sign', 'reply'] },
    effect: async (a: A<{ reason: string }>) => {
      await a.trx
        .updateTable('case_units')
        .set({ status: 'assigned', signed_at: null, replied_at: null })
        .where('case_id', '=', a.case.id)
        .execute();
      return {
        set: {
          redo_count: a.case.redo_count + 1,
          satisfaction: null,
          resolved: null,
          signed_at: null,
          first_contact_at: null,
          replied_at: null,
        },
        payload: { reason: a.input.reason },
        notify: [{ to: 'lead', kind: 'redo', title: '重办工单：{code}', body: a.input.reason }],
      };
    },
  },
  request_return: {
    label: '申请退单',
    from: ['dispatched', 'signed'],
    to: 'return_requested',
    who: LEAD,
    input: Type.Object(
      { reason: Text(1000), legalBasis: Type.Optional(Text(500)) },
      { additionalProperties: false },
    ),
    guard: async (a: A<{ reason: string }>) => {
      const calendar = await calendarFor(a.trx, a.case.county_code);
      const since = a.case.dispatched_at ?? a.now;
      return calendar.workingDaysBetween(since, a.now) >= RETURN_WINDOW_WORKING_DAYS + 1
        ? `退单须在派单后 ${RETURN_WINDOW_WORKING_DAYS} 个工作日内申请`
        : null;
    },
    deadlines: { cancel: ['sign', 'first_contact'], set: ['dispatch'] },
    effect: (a: A<{ reason: string; legalBasis?: string }>) => ({
      set: {
        return_count: a.case.return_count + 1,
        pending: { ...a.case.pending, returnFrom: a.actorUnit ?? undefined, returnReason: a.input.reason },
      },
      payload: { ...a.input, orgId: a.actorUnit },
      notify: [
        { to: 'supervisors', kind: 'return_requested', title: '退单申请：{code}', body: a.input.reason },
      ],
    }),
  },
  decide_return: {
    label: '审批退单',
    from: ['return_requested'],
    to: 'dispatched',
    who: DECIDERS,
    input: Type.Object(
      {
        decision: Type.Union([Type.Literal('redispatch'), Type.Literal('insist')]),
        leadOrgId: Type.Optional(OrgId),
        assistOrgIds: Type.Optional(Type.Array(OrgId, { maxItems: 10 })),
        note: Text(1000),
      },
      { additionalProperties: false },
    ),
    effect: async (
      a: A<{ decision: 'redispatch' | 'insist'; leadOrgId?: string; assistOrgIds?: string[]; note: string }>,
    ) => {
      const { returnFrom: _f, returnReason: _r, ...pending } = a.case.pending;
      if (a.input.decision === 'insist') {
        return {
          set: { pending },
          payload: { decision: 'insist', note: a.input.note },
          deadlines: { done: ['dispatch' as const], set: ['sign' as const] },
          notify: [
            {
              to: 'lead' as const,
              kind: 'return_refused',
              title: '退单未获批准：{code}',
              body: a.input.note,
            },
          ],
        };
      }
      if (!a.input.leadOrgId) {
        throw new AppError('VALIDATION_FAILED', {
          details: [{ field: 'leadOrgId', message: '改派时须指定新的主办单位' }],
        });
      }
      const r = await dispatchTo(
        {
          ...a,
          input: {
            leadOrgId: a.input.leadOrgId,
            assistOrgIds: a.input.assistOrgIds ?? [],
            note: a.input.note,
          },
        },
        'return',
      );
      return { ...r, set: { ...r.set, pending }, payload: { ...r.payload, decision: 'redispatch' } };
    },
  },
  request_extension: {
    label: '申请延期',
    from: ['signed', 'in_progress'],
    to: null,
    who: LEAD,
    input: Type.Object(
      { days: Type.Integer({ minimum: 1, maximum: EXTENSION_RULES.maxWorkingDays }), reason: Text(1000) },
      { additionalProperties: false },
    ),
    guard: async (a: A<{ days: number }>) => {
      if (a.case.pending.extension) return '已有待审批的延期申请';
      const due = await openDeadline(a.trx, a.case.id, 'reply');
      if (!due) return '没有可延期的办理时限';
      const calendar = await calendarFor(a.trx, a.case.county_code);
      return calendar.workingDaysBetween(a.now, due.due_at) < EXTENSION_RULES.minWorkingDaysBefore
        ? `延期须在办理时限前至少 ${EXTENSION_RULES.minWorkingDaysBefore} 个工作日申请`
        : null;
    },
    effect: (a: A<{ days: number; reason: string }>) => ({
      set: {
        pending: {
          ...a.case.pending,
          extension: {
            days: a.input.days,
            reason: a.input.reason,
            requestedBy: a.actorUnit ?? '',
            requestedAt: a.now.toISOString(),
          },
        },
      },
      payload: { ...a.input },
      notify: [
        {
          to: 'supervisors',
          kind: 'extension_requested',
          title: '延期申请：{code}',
          body: `${a.input.days} 个工作日：${a.input.reason}`,
        },
      ],
    }),
  },
  decide_extension: {
    label: '审批延期',
    from: ['signed', 'in_progress'],
    to: null,
    who: DECIDERS,
    input: Type.Object(
      { approved: Type.Boolean(), note: Type.Optional(Text(1000)) },
      { additionalProperties: false },
    ),
    guard: (a: A<{ approved: boolean }>) => (a.case.pending.extension ? null : '没有待审批的延期申请'),
    effect: async (a: A<{ approved: boolean; note?: string }>) => {
      const { extension, ...pending } = a.case.pending;
      let newDue: string | null = null;
      if (a.input.approved && extension) {
        const due = await openDeadline(a.trx, a.case.id, 'reply');
        if (due) {
          const calendar = await calendarFor(a.trx, a.case.county_code);
          const moved = calendar.addLimit(due.due_at, { amount: extension.days, unit: 'working_days' });
          newDue = moved.toISOString();
          // A deadline the sweep already marked overdue stays overdue: it was acted on once, and
          // reopening it would let the sweep mark (and count) it a second time.
          await a.trx
            .updateTable('case_deadlines')
            .set({
              due_at: moved,
              warn_at: new Date(moved.getTime() - 24 * 3600_000),
              status: due.status === 'overdue' ? 'overdue' : 'pending',
            })
            .where('id', '=', due.id)
            .execute();
        }
      }
      return {
        set: { pending, ...(a.input.approved ? { extension_count: a.case.extension_count + 1 } : {}) },
        payload: {
          approved: a.input.approved,
          days: extension?.days ?? 0,
          note: a.input.note ?? null,
          newDue,
        },
        notify: [
          {
            to: 'lead' as const,
            kind: 'extension_decided',
            title: a.input.approved ? '延期已批准：{code}' : '延期未批准：{code}',
            body: a.input.note ?? '',
          },
        ],
      };
    },
  },
  reassign: {
    label: '改派',
    from: ['dispatched', 'signed', 'in_progress'],
    to: 'dispatched',
    who: DECIDERS,
    input: Type.Object(
      {
        leadOrgId: OrgId,
        assistOrgIds: Type.Optional(Type.Array(OrgId, { maxItems: 10 })),
        reason: Text(1000),
      },
      { additionalProperties: false },
    ),
    effect: async (a: A<{ leadOrgId: string; assistOrgIds?: string[]; reason: string }>) => {
      const previous = a.case.lead_org_id;
      const r = await dispatchTo(
        {
          ...a,
          input: {
            leadOrgId: a.input.leadOrgId,
            assistOrgIds: a.input.assistOrgIds ?? [],
            note: a.input.reason,
          },
        },
        'reassign',
      );
      return {
        ...r,
        payload: { ...r.payload, previousLeadOrgId: previous },
        notify: [
          ...r.notify,
          ...(previous
            ? [
                {
                  to: { kind: 'org' as const, id: previous },
                  kind: 'reassigned',
                  title: '工单已改派：{code}',
                  body: a.input.reason,
                },
              ]
            : []),
        ],
      };
    },
  },
  merge: {
    label: '合并重复件',
    from: ['received', 'dispatched'],
    to: 'merged',
    who: DISPATCHERS,
    input: Type.Object(
      { intoCaseId: Type.String({ format: 'uuid' }), note: Type.Optional(Text(500)) },
      { additionalProperties: false },
    ),
    deadlines: { cancel: 'all' },
    effect: async (a: A<{ intoCaseId: string; note?: string }>) => {
      if (a.input.intoCaseId === a.case.id) throw new AppError('GUARD_FAILED', { message: '不能合并到自身' });
      const target = await a.trx
        .selectFrom('cases')
        .select(['id', 'code', 'state', 'type', 'citizen_id'])
        .where('id', '=', a.input.intoCaseId)
        .where('county_code', '=', a.case.county_code)
        // A case outside the dispatcher's reach does not exist for them (DESIGN §7).
        .$if(a.actor.kind === 'staff', (q) => q.where(caseVisibleTo(a.actor as StaffActor, 'cases')))
        .executeTakeFirst();
      if (!target || target.type !== a.case.type) throw new AppError('NOT_FOUND');
      if (['closed', 'voided', 'merged'].includes(target.state)) {
        throw new AppError('GUARD_FAILED', { message: '只能合并到仍在办理中的工单' });
      }
      // Both citizens hear of the merge: this one now, the target's when its case is answered.
      return {
        set: { merged_into: target.id, closed_at: a.now },
        payload: { intoCaseId: target.id, intoCode: target.code, note: a.input.note ?? null },
        notify: [
          {
            to: 'citizen' as const,
            kind: 'merged',
            title: '您的诉求已并入 {code} 的同类诉求',
            body: `您的诉求与 ${target.code} 为同一问题，将一并办理并答复您。`,
            sms: true,
          },
          ...(target.citizen_id
            ? [
                {
                  to: { kind: 'citizen' as const, id: target.citizen_id },
                  kind: 'merged_in',
                  title: `同类诉求已并入 ${target.code}`,
                  body: '已有其他群众反映同一问题，将一并办理。',
                },
              ]
            : []),
        ],
      };
    },
  },
  ...sharedActions<AppealState>(OPEN, WORKING, ['received', 'dispatched', 'return_requested']),
} satisfies Record<string, ActionDef<AppealState>>;

export type AppealAction = keyof typeof actions;

export const APPEAL_WORKFLOW: WorkflowDef<AppealState, AppealAction> = {
  type: 'appeal',
  label: '诉求',
  states: APPEAL_STATES,
  initial: 'received',
  terminal: ['closed', 'voided', 'merged'],
  onReceive: { set: ['dispatch'] },
  actions,
};
