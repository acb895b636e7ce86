import { Type } from 'typebox';
import { checkUnits, setHandlingUnits } from '../units.ts';
import type { ActionContext, ActionDef, WorkflowDef } from '../workflow.ts';
import { DECIDERS, DISPATCHERS, LEAD, OrgId, sharedActions, Text } from './shared.ts';

/**
 * The event workflow (事件): what grid patrols, IoT alarms and cameras report. Shorter than an
 * appeal: no citizen to revisit. A grid worker may solve it on the spot; otherwise it is dispatched,
 * handled, replied and verified (核查) by the centre or the reporting grid worker.
 */
export const EVENT_STATES = [
  'reported',
  'dispatched',
  'signed',
  'in_progress',
  'replied',
  'closed',
  'suspended',
  'voided',
] as const;
export type EventState = (typeof EVENT_STATES)[number];
type A<I> = ActionContext<I>;
const OPEN: EventState[] = ['reported', 'dispatched', 'signed', 'in_progress', 'replied', 'suspended'];

const actions = {
  solve_on_spot: {
    label: '现场解决',
    from: ['reported'],
    to: 'closed',
    who: [
      { roles: ['grid_worker', 'cadre'], relation: 'reporter' },
      { roles: ['grid_worker', 'village_handler'], relation: 'jurisdiction' },
    ],
    input: Type.Object(
      {
        result: Text(1000),
        photos: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 9 })),
      },
      { additionalProperties: false },
    ),
    deadlines: { cancel: 'all' },
    effect: (a: A<{ result: string; photos?: string[] }>) => ({
      set: { closed_at: a.now, replied_at: a.now, lead_org_id: a.case.lead_org_id ?? a.case.village_id },
      payload: { ...a.input },
    }),
  },
  dispatch: {
    label: '派遣',
    from: ['reported'],
    to: 'dispatched',
    who: DISPATCHERS,
    input: Type.Object(
      {
        leadOrgId: OrgId,
        assistOrgIds: Type.Optional(Type.Array(OrgId, { maxItems: 10 })),
        note: Type.Optional(Text(1000)),
      },
      { additionalProperties: false },
    ),
    effect: async (a: A<{ leadOrgId: string; assistOrgIds?: string[]; note?: string }>) => {
      const [lead] = await checkUnits(a.trx, a.actor, a.case, [a.input.leadOrgId], 'leadOrgId');
      const assists = await checkUnits(a.trx, a.actor, a.case, a.input.assistOrgIds ?? [], 'assistOrgIds');
      await setHandlingUnits(
        a.trx,
        a.case,
        lead!.id,
        assists.map((x) => x.id),
        a.now,
      );
      return {
        set: { lead_org_id: lead!.id, dispatched_at: a.now },
        payload: {
          leadOrgId: lead!.id,
          leadName: lead!.name,
          assistOrgIds: assists.map((x) => x.id),
          note: a.input.note ?? null,
        },
        deadlines: { done: ['dispatch' as const], set: ['sign' as const, 'reply' as const] },
        notify: [
          {
            to: { kind: 'org' as const, id: lead!.id },
            kind: 'new_work',
            title: '新事件：{code}',
            body: '{title}',
          },
        ],
      };
    },
  },
  sign: {
    label: '签收',
    from: ['dispatched'],
    to: 'signed',
    who: LEAD,
    input: Type.Object({}, { additionalProperties: false }),
    deadlines: { done: ['sign'] },
    effect: (a: A<Record<string, never>>) => ({ set: { signed_at: a.now } }),
  },
  handle: {
    label: '处置',
    from: ['signed'],
    to: 'in_progress',
    who: LEAD,
    input: Type.Object({ note: Text(1000) }, { additionalProperties: false }),
    effect: (a: A<{ note: string }>) => ({ set: { first_contact_at: a.now }, payload: { ...a.input } }),
  },
  reply: {
    label: '处置完毕',
    from: ['in_progress'],
    to: 'replied',
    who: LEAD,
    input: Type.Object({ result: Text() }, { additionalProperties: false }),
    deadlines: { done: ['reply'], set: ['audit'] },
    effect: (a: A<{ result: string }>) => ({
      set: { replied_at: a.now },
      payload: { ...a.input },
      notify: a.case.reporter_user_id
        ? [
            {
              to: { kind: 'user' as const, id: a.case.reporter_user_id },
              kind: 'to_verify',
              title: '请核查：{code}',
              body: a.input.result,
            },
          ]
        : [],
    }),
  },
  verify: {
    label: '核查',
    from: ['replied'],
    to: 'closed',
    who: [...DECIDERS, { roles: ['grid_worker'], relation: 'reporter' }],
    input: Type.Object(
      { passed: Type.Boolean(), note: Type.Optional(Text(1000)) },
      { additionalProperties: false },
    ),
    effect: (a: A<{ passed: boolean; note?: string }>) =>
      a.input.passed
        ? { set: { closed_at: a.now }, payload: { ...a.input }, deadlines: { cancel: 'all' as const } }
        : {
            to: 'in_progress',
            payload: { ...a.input },
            deadlines: { done: ['audit' as const], set: ['reply' as const] },
            notify: [
              {
                to: 'lead' as const,
                kind: 'verify_failed',
                title: '核查未通过：{code}',
                body: a.input.note ?? '',
              },
            ],
          },
  },
  auto_close: {
    label: '设备恢复自动办结',
    from: ['reported', 'dispatched', 'signed', 'in_progress', 'replied'],
    to: 'closed',
    // Only the system: an IoT device reported that the problem it alarmed about has gone away.
    who: [{ roles: ['system'], relation: 'jurisdiction' }],
    input: Type.Object({ result: Text(1000) }, { additionalProperties: false }),
    deadlines: { cancel: 'all' },
    effect: (a: A<{ result: string }>) => ({
      set: { closed_at: a.now, replied_at: a.case.replied_at ?? a.now },
      payload: { ...a.input },
    }),
  },
  ...sharedActions<EventState>(OPEN, ['dispatched', 'signed', 'in_progress'], ['reported', 'dispatched']),
} satisfies Record<string, ActionDef<EventState>>;

export type EventAction = keyof typeof actions;

export const EVENT_WORKFLOW: WorkflowDef<EventState, EventAction> = {
  type: 'event',
  label: '事件',
  states: EVENT_STATES,
  initial: 'reported',
  terminal: ['closed', 'voided'],
  onReceive: { set: ['dispatch'] },
  actions,
};
