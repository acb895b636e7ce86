import { Type } from 'typebox';
import { AppError } from '../../lib/errors.ts';
import { applyDeadlines, calendarFor, dueFor, shiftOpenDeadlines } from '../deadlines.ts';
import { checkUnits } from '../units.ts';
import type { ActionContext, ActionDef, WhoRule } from '../workflow.ts';

/** Free text typed by a person: 1–2000 characters. */
export const Text = (max = 2000) => Type.String({ minLength: 1, maxLength: max });
export const OrgId = Type.String({ pattern: '^[0-9A-Z]{6,20}$' });

/** Who dispatches and decides: the centres (county and township) within their territory. */
export const DISPATCHERS: WhoRule[] = [
  { roles: ['operator', 'county_dispatcher', 'township_dispatcher'], relation: 'jurisdiction' },
];
export const DECIDERS: WhoRule[] = [
  { roles: ['county_dispatcher', 'township_dispatcher'], relation: 'jurisdiction' },
];
/** Handlers of the lead unit (主办). */
export const LEAD: WhoRule[] = [
  {
    roles: ['village_handler', 'township_dispatcher', 'department_handler', 'county_dispatcher'],
    relation: 'lead',
  },
];
export const SUPERVISORS: WhoRule[] = [
  { roles: ['supervisor', 'county_dispatcher', 'township_dispatcher'], relation: 'jurisdiction' },
];
/** Who may blow the whistle: the village (or community) and the township centre. */
export const WHISTLERS: WhoRule[] = [
  { roles: ['village_handler'], relation: 'lead' },
  { roles: ['village_handler', 'township_dispatcher'], relation: 'jurisdiction' },
];

type A<I> = ActionContext<I>;

/**
 * Actions every case type shares: urge, supervision orders, suspend/resume, void, and the
 * whistle-and-report loop (村社吹哨、部门报到).
 */
export function sharedActions<S extends string>(
  open: readonly S[],
  workingStates: readonly S[],
  voidable: readonly S[],
) {
  return {
    urge: {
      label: '催办',
      from: open,
      to: null,
      who: SUPERVISORS,
      input: Type.Object({ message: Text(500) }, { additionalProperties: false }),
      effect: (a: A<{ message: string }>) => ({
        payload: { message: a.input.message },
        notify: [{ to: 'lead', kind: 'urged', title: '催办：{code}', body: `${a.input.message}（{title}）` }],
      }),
    },
    supervise: {
      label: '督办',
      from: open,
      to: null,
      who: [{ roles: ['supervisor'], relation: 'jurisdiction' }],
      input: Type.Object(
        {
          level: Type.Union([Type.Literal('normal'), Type.Literal('yellow'), Type.Literal('red')]),
          message: Text(500),
          days: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
        },
        { additionalProperties: false },
      ),
      effect: async (a: A<{ level: 'normal' | 'yellow' | 'red'; message: string; days?: number }>) => {
        await applyDeadlines(a.trx, a.case, { set: ['supervision'] }, a.now, {
          limits: a.input.days ? { supervision: { amount: a.input.days, unit: 'working_days' } } : {},
        });
        const label = { normal: '督办', yellow: '黄牌督办', red: '红牌督办' }[a.input.level];
        return {
          set: { supervision_level: a.input.level },
          payload: { level: a.input.level, message: a.input.message, days: a.input.days ?? null },
          notify: [
            { to: 'lead', kind: 'supervised', title: `${label}：{code}`, body: a.input.message },
            { to: 'supervisors', kind: 'supervised', title: `${label}：{code}`, body: a.input.message },
          ],
        };
      },
    },
    suspend: {
      label: '挂起',
      from: workingStates,
      to: 'suspended' as S,
      who: DECIDERS,
      input: Type.Object({ reason: Text(500) }, { additionalProperties: false }),
      effect: (a: A<{ reason: string }>) => ({
        set: { suspended_at: a.now, pending: { ...a.case.pending, suspendedFrom: a.case.state } },
        payload: { reason: a.input.reason },
        notify: [{ to: 'lead', kind: 'suspended', title: '工单挂起：{code}', body: a.input.reason }],
      }),
    },
    resume: {
      label: '恢复办理',
      from: ['suspended' as S],
      to: null,
      who: DECIDERS,
      input: Type.Object({ note: Type.Optional(Text(500)) }, { additionalProperties: false }),
      effect: async (a: A<{ note?: string }>) => {
        // The clock stood still while suspended: every open deadline moves by the pause.
        const pausedMs = a.now.getTime() - (a.case.suspended_at?.getTime() ?? a.now.getTime());
        await shiftOpenDeadlines(a.trx, a.case.id, pausedMs, a.now);
        const { suspendedFrom, ...rest } = a.case.pending;
        return {
          to: suspendedFrom ?? 'in_progress',
          set: { suspended_at: null, suspended_ms: Number(a.case.suspended_ms) + pausedMs, pending: rest },
          payload: { note: a.input.note ?? null, pausedMs },
          notify: [
            {
              to: 'lead',
              kind: 'resumed',
              title: '恢复办理：{code}',
              body: a.input.note ?? '工单已恢复办理',
            },
          ],
        };
      },
    },
    void: {
      label: '作废',
      from: voidable,
      to: 'voided' as S,
      who: [{ roles: ['operator', 'county_dispatcher', 'township_dispatcher'], relation: 'jurisdiction' }],
      input: Type.Object({ reason: Text(500) }, { additionalProperties: false }),
      deadlines: { cancel: 'all' },
      effect: (a: A<{ reason: string }>) => ({
        set: { closed_at: a.now },
        payload: { reason: a.input.reason },
      }),
    },
    whistle: {
      label: '吹哨',
      from: workingStates,
      to: null,
      who: WHISTLERS,
      input: Type.Object(
        {
          departmentIds: Type.Array(OrgId, { minItems: 1, maxItems: 10 }),
          reasonClass: Type.Union([
            Type.Literal('resident_demand'),
            Type.Literal('joint_enforcement'),
            Type.Literal('emergency'),
          ]),
          message: Text(1000),
        },
        { additionalProperties: false },
      ),
      effect: async (
        a: A<{
          departmentIds: string[];
          reasonClass: 'resident_demand' | 'joint_enforcement' | 'emergency';
          message: string;
        }>,
      ) => {
        const depts = await checkUnits(
          a.trx,
          { kind: 'system', countyCode: a.case.county_code },
          a.case,
          a.input.departmentIds,
          'departmentIds',
          ['department'],
        );
        const whistler = a.actorUnit ?? a.case.village_id ?? a.case.county_code;
        const w = await a.trx
          .insertInto('whistles')
          .values({
            case_id: a.case.id,
            county_code: a.case.county_code,
            whistler_org_id: whistler,
            whistler_user_id: a.actor.kind === 'staff' ? a.actor.userId : null,
            reason_class: a.input.reasonClass,
            message: a.input.message,
            created_at: a.now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        // Emergencies run round the clock; other whistles count working hours (DESIGN §4).
        const limit =
          a.input.reasonClass === 'emergency' || a.case.urgency === 'emergency'
            ? ({ amount: 0.5, unit: 'hours' } as const)
            : undefined;
        const { dueAt } = await dueFor(a.trx, a.case, 'report', a.now, limit);
        for (const d of depts) {
          await a.trx
            .insertInto('whistle_reports')
            .values({ whistle_id: w.id, department_id: d.id, county_code: a.case.county_code, due_at: dueAt })
            .execute();
          await a.trx
            .insertInto('case_units')
            .values({
              case_id: a.case.id,
              org_id: d.id,
              relation: 'whistled',
              county_code: a.case.county_code,
              assigned_at: a.now,
            })
            .onConflict((oc) =>
              oc
                .columns(['case_id', 'org_id', 'relation'])
                .doUpdateSet({ status: 'assigned', assigned_at: a.now }),
            )
            .execute();
          await a.trx
            .insertInto('case_deadlines')
            .values({
              case_id: a.case.id,
              county_code: a.case.county_code,
              stage: 'report',
              org_id: d.id,
              due_at: dueAt,
              warn_at: null,
            })
            .execute();
        }
        return {
          payload: {
            whistleId: w.id,
            departmentIds: depts.map((d) => d.id),
            reasonClass: a.input.reasonClass,
            message: a.input.message,
            dueAt: dueAt.toISOString(),
          },
          notify: depts.map((d) => ({
            to: { kind: 'org' as const, id: d.id },
            kind: 'whistled',
            title: '吹哨报到：{code}',
            body: `${a.input.message}（请于 ${formatChina(dueAt)} 前报到）`,
          })),
        };
      },
    },
    report: {
      label: '报到',
      from: open,
      to: null,
      who: [{ roles: ['department_handler'], relation: 'whistled' }],
      input: Type.Object(
        { whistleId: Type.String({ format: 'uuid' }), responder: Text(100), note: Type.Optional(Text(1000)) },
        { additionalProperties: false },
      ),
      effect: async (a: A<{ whistleId: string; responder: string; note?: string }>) => {
        const r = await a.trx
          .selectFrom('whistle_reports as r')
          .innerJoin('whistles as w', 'w.id', 'r.whistle_id')
          .select(['r.due_at', 'r.status', 'w.created_at', 'w.whistler_org_id'])
          .where('r.whistle_id', '=', a.input.whistleId)
          .where('r.department_id', '=', a.actorUnit ?? '')
          .where('w.case_id', '=', a.case.id)
          .executeTakeFirst();
        if (!r) throw new AppError('NOT_FOUND');
        if (r.status !== 'pending') throw new AppError('GUARD_FAILED', { message: '本部门已对该次吹哨报到' });
        const late = a.now > r.due_at;
        await a.trx
          .updateTable('whistle_reports')
          .set({
            status: 'reported',
            reported_at: a.now,
            responder: a.input.responder,
            arrival_note: a.input.note ?? null,
            late,
          })
          .where('whistle_id', '=', a.input.whistleId)
          .where('department_id', '=', a.actorUnit ?? '')
          .execute();
        await a.trx
          .updateTable('case_deadlines')
          .set({ status: 'done', done_at: a.now })
          .where('case_id', '=', a.case.id)
          .where('stage', '=', 'report')
          .where('org_id', '=', a.actorUnit ?? '')
          .where('status', 'in', ['pending', 'warned', 'overdue'])
          .execute();
        const minutes = (a.now.getTime() - r.created_at.getTime()) / 60_000;
        return {
          payload: {
            whistleId: a.input.whistleId,
            departmentId: a.actorUnit,
            responder: a.input.responder,
            note: a.input.note ?? null,
            minutes,
            late,
          },
          // The response time counts for the department that reported, not the lead unit.
          ...(a.actorUnit ? { metricsUnit: a.actorUnit } : {}),
          notify: [
            {
              to: { kind: 'org', id: r.whistler_org_id },
              kind: 'reported',
              title: '部门已报到：{code}',
              body: `${a.input.responder} 将到场处理`,
            },
          ],
        };
      },
    },
    report_done: {
      label: '报到处置结果',
      from: open,
      to: null,
      who: [{ roles: ['department_handler'], relation: 'whistled' }],
      input: Type.Object(
        { whistleId: Type.String({ format: 'uuid' }), actionTaken: Text(2000) },
        { additionalProperties: false },
      ),
      effect: async (a: A<{ whistleId: string; actionTaken: string }>) => {
        const updated = await a.trx
          .updateTable('whistle_reports')
          .set({ status: 'done', done_at: a.now, action_taken: a.input.actionTaken })
          .where('whistle_id', '=', a.input.whistleId)
          .where('department_id', '=', a.actorUnit ?? '')
          .where('status', '=', 'reported')
          .returning('whistle_id')
          .executeTakeFirst();
        if (!updated) throw new AppError('GUARD_FAILED', { message: '请先报到，再填写处置结果' });
        return {
          payload: {
            whistleId: a.input.whistleId,
            departmentId: a.actorUnit,
            actionTaken: a.input.actionTaken,
          },
        };
      },
    },
    rate_report: {
      label: '评价报到',
      from: [...open, 'closed' as S],
      to: null,
      who: WHISTLERS,
      input: Type.Object(
        {
          whistleId: Type.String({ format: 'uuid' }),
          departmentId: OrgId,
          rating: Type.Integer({ minimum: 1, maximum: 5 }),
          comment: Type.Optional(Text(500)),
        },
        { additionalProperties: false },
      ),
      effect: async (a: A<{ whistleId: string; departmentId: string; rating: number; comment?: string }>) => {
        // The whistler rates (DESIGN §4): not any other unit that happens to see the case.
        const whistle = await a.trx
          .selectFrom('whistles')
          .select('whistler_org_id')
          .where('id', '=', a.input.whistleId)
          .where('case_id', '=', a.case.id)
          .executeTakeFirst();
        if (!whistle) throw new AppError('NOT_FOUND');
        if (whistle.whistler_org_id !== a.actorUnit) {
          throw new AppError('FORBIDDEN', { message: '只有吹哨单位可以评价部门报到' });
        }
        const updated = await a.trx
          .updateTable('whistle_reports')
          .set({ rating: a.input.rating, rating_comment: a.input.comment ?? null })
          .where('whistle_id', '=', a.input.whistleId)
          .where('department_id', '=', a.input.departmentId)
          .where('status', 'in', ['reported', 'done'])
          .where('rating', 'is', null)
          .returning('whistle_id')
          .executeTakeFirst();
        if (!updated) throw new AppError('GUARD_FAILED', { message: '只能对已报到且未评价的部门评价一次' });
        // The rating feeds the rated department's assessment.
        return { payload: { ...a.input }, metricsUnit: a.input.departmentId };
      },
    },
  } satisfies Record<string, ActionDef<S>>;
}

/** A China-time "MM-DD HH:mm" for messages. */
export function formatChina(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(5, 16).replace('T', ' ');
}

export { calendarFor };
