import { systemActor } from '../authz/actor.ts';
import type { AppContext } from '../context.ts';
import { commitEvent } from './engine.ts';
import type { NotificationSpec } from './workflow.ts';

const STAGE_LABELS: Record<string, string> = {
  dispatch: '派单',
  sign: '签收',
  first_contact: '先行联系',
  reply: '答复',
  audit: '审核',
  revisit: '回访',
  report: '吹哨报到',
  supervision: '督办',
};

/**
 * One sweep over passed deadlines. For a batch of due deadlines it locks their cases first (in id
 * order, `SKIP LOCKED`, the same order as user actions: case, then deadlines — so no deadlock), then
 * claims each deadline with a conditional update (`status in (pending, warned)` → `overdue`) and, in
 * the same transaction, appends the `overdue` event, flags a late whistle report, notifies the unit
 * and escalates to the supervisors. Several workers may sweep at once: each deadline is acted on
 * exactly once, and a crash between claim and event is impossible (one transaction).
 */
export async function sweepOverdue(
  ctx: AppContext,
  opts: { batch?: number; now?: Date } = {},
): Promise<number> {
  const now = opts.now ?? ctx.clock.now();
  const batch = opts.batch ?? 200;
  let handled = 0;
  for (;;) {
    const n = await ctx.database.transaction(async (trx) => {
      const candidates = await trx
        .selectFrom('case_deadlines')
        .select(['id', 'case_id'])
        .where('status', 'in', ['pending', 'warned'])
        .where('due_at', '<=', now)
        // A suspended case's clock stands still: its deadlines move on resume instead.
        .where('case_id', 'not in', trx.selectFrom('cases').select('id').where('state', '=', 'suspended'))
        .orderBy('due_at')
        .limit(batch)
        .execute();
      if (candidates.length === 0) return 0;
      const caseIds = [...new Set(candidates.map((c) => c.case_id))].sort();
      const locked = await trx
        .selectFrom('cases')
        .selectAll()
        .where('id', 'in', caseIds)
        .orderBy('id')
        .forUpdate()
        .skipLocked()
        .execute();
      if (locked.length === 0) return 0;
      const cases = new Map(locked.filter((c) => c.state !== 'suspended').map((c) => [c.id, c]));
      if (cases.size === 0) return 0;
      const claimed = await trx
        .updateTable('case_deadlines')
        .set({ status: 'overdue', overdue_at: now, escalated_at: now })
        .where(
          'id',
          'in',
          candidates.filter((c) => cases.has(c.case_id)).map((c) => c.id),
        )
        .where('status', 'in', ['pending', 'warned'])
        .where('due_at', '<=', now)
        .returningAll()
        .execute();
      claimed.sort((a, b) => (a.case_id < b.case_id ? -1 : a.case_id > b.case_id ? 1 : a.id - b.id));
      for (const d of claimed) {
        const c = cases.get(d.case_id)!;
        if (d.stage === 'report' && d.org_id) {
          await trx
            .updateTable('whistle_reports')
            .set({ late: true })
            .where('department_id', '=', d.org_id)
            .where('status', '=', 'pending')
            .where('whistle_id', 'in', trx.selectFrom('whistles').select('id').where('case_id', '=', c.id))
            .execute();
        }
        const label = STAGE_LABELS[d.stage] ?? d.stage;
        const notify: NotificationSpec[] = [
          {
            to: d.org_id ? { kind: 'org', id: d.org_id } : 'supervisors',
            kind: 'overdue',
            title: `已超期（${label}）：{code}`,
            body: '{title}',
          },
          { to: 'supervisors', kind: 'escalated', title: `超期上报（${label}）：{code}`, body: '{title}' },
        ];
        const r = await commitEvent(trx, ctx, systemActor(c.county_code), c, {
          action: 'overdue',
          to: c.state,
          set: {},
          payload: { stage: d.stage, deadlineId: d.id, orgId: d.org_id, dueAt: d.due_at.toISOString() },
          deadlines: {},
          notify,
          now,
          bumpVersion: false,
          ...(d.org_id && d.stage === 'report' ? { metricsUnit: d.org_id } : {}),
        });
        cases.set(c.id, r.case);
      }
      return claimed.length;
    });
    handled += n;
    // Nothing claimable (all due cases busy elsewhere) or the last batch: the next tick continues.
    if (n === 0 || n < batch) return handled;
  }
}

/** Warns units before their deadlines (claimed the same way: each warning goes out once). */
export async function sweepWarnings(ctx: AppContext, opts: { now?: Date } = {}): Promise<number> {
  const now = opts.now ?? ctx.clock.now();
  return ctx.database.transaction(async (trx) => {
    const claimed = await trx
      .updateTable('case_deadlines')
      .set({ status: 'warned', warned_at: now })
      .where(
        'id',
        'in',
        trx
          .selectFrom('case_deadlines')
          .select('id')
          .where('status', '=', 'pending')
          .where('warn_at', '<=', now)
          .where('due_at', '>', now)
          .where('case_id', 'not in', trx.selectFrom('cases').select('id').where('state', '=', 'suspended'))
          .limit(500)
          .forUpdate()
          .skipLocked(),
      )
      .where('status', '=', 'pending')
      .returning(['id', 'case_id', 'stage', 'org_id', 'county_code', 'due_at'])
      .execute();
    if (claimed.length) {
      const cases = await trx
        .selectFrom('cases')
        .select(['id', 'code', 'title', 'lead_org_id'])
        .where('id', 'in', [...new Set(claimed.map((d) => d.case_id))])
        .execute();
      const byId = new Map(cases.map((c) => [c.id, c]));
      const rows = claimed
        .map((d) => ({ d, c: byId.get(d.case_id)! }))
        .filter(({ d, c }) => d.org_id ?? c.lead_org_id)
        .map(({ d, c }) => ({
          county_code: d.county_code,
          recipient_kind: 'org' as const,
          recipient_id: (d.org_id ?? c.lead_org_id)!,
          channel: 'inapp' as const,
          kind: 'due_soon',
          case_id: c.id,
          title: `即将到期（${STAGE_LABELS[d.stage] ?? d.stage}）：${c.code}`,
          body: `${c.title}，时限 ${d.due_at.toISOString()}`,
          created_at: now,
        }));
      if (rows.length) await trx.insertInto('notifications').values(rows).execute();
    }
    return claimed.length;
  });
}
