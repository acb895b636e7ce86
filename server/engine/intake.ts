import { sql } from 'kysely';
import type { Actor } from '../authz/actor.ts';
import type { AppContext } from '../context.ts';
import type { CaseRow, Urgency } from '../db/schema.ts';
import { maskPhone } from '../lib/crypto.ts';
import { AppError } from '../lib/errors.ts';
import { commitEvent, type Meta, unitOf } from './engine.ts';
import { workflowOf } from './registry.ts';
import { chinaDay } from './rollups.ts';
import { route } from './routing.ts';

/** What every channel hands to the one entry (诉求一个口子进). */
export interface IntakeInput {
  type: 'appeal' | 'event';
  channel: 'web' | 'kiosk' | 'phone' | 'walk_in' | 'grid' | 'iot' | 'camera' | 'open311' | 'app';
  categoryId: string;
  urgency?: Urgency | undefined;
  title?: string | undefined;
  description: string;
  lon?: number | undefined;
  lat?: number | undefined;
  address?: string | undefined;
  villageId?: string | undefined;
  contactName?: string | undefined;
  contactPhone?: string | undefined;
  anonymous?: boolean | undefined;
  confidential?: boolean | undefined;
  attachments?: string[] | undefined;
  idempotencyKey?: string | undefined;
}

/**
 * Receives a case: validates the category, routes it (grid, village, level, suggested unit), gives
 * it a tracking code, writes the case, its first event, its first deadline, rollups and the
 * citizen's acknowledgement — all in one transaction, committed before the caller answers. A
 * repeated idempotency key returns the first case instead of making a second one.
 */
export async function receiveCase(
  ctx: AppContext,
  actor: Actor,
  input: IntakeInput,
  meta: Meta = {},
): Promise<{ case: CaseRow; replayed: boolean }> {
  const county = actor.countyCode;
  if (input.idempotencyKey) {
    const existing = await findByKey(ctx, county, input.idempotencyKey);
    if (existing) return { case: existing, replayed: true };
  }
  const wf = workflowOf(input.type);
  try {
    return await ctx.database.transaction(async (trx) => {
      const category = await trx
        .selectFrom('categories')
        .select(['id', 'name', 'urgency', 'case_types', 'active'])
        .where('id', '=', input.categoryId)
        .where('county_code', '=', county)
        .executeTakeFirst();
      if (!category?.active || !category.case_types.includes(input.type)) {
        throw new AppError('VALIDATION_FAILED', {
          details: [{ field: 'categoryId', message: '类别不存在或不适用' }],
        });
      }
      const decision = await route(trx, county, {
        lon: input.lon ?? null,
        lat: input.lat ?? null,
        villageId: input.villageId ?? null,
        categoryId: category.id,
      });
      const now = ctx.clock.now();
      const code = await nextCode(trx, county, input.type === 'appeal' ? 'S' : 'E', now);
      const phone = input.anonymous ? undefined : input.contactPhone;
      const title = input.title?.trim() || `${category.name}：${input.description.slice(0, 24)}`;
      const row = await trx
        .insertInto('cases')
        .values({
          county_code: county,
          type: input.type,
          code,
          state: wf.initial,
          channel: input.channel,
          category_id: category.id,
          urgency: input.urgency ?? category.urgency,
          title,
          description: input.description,
          lon: input.lon ?? null,
          lat: input.lat ?? null,
          address: input.address ?? null,
          grid_id: decision.gridId,
          village_id: decision.villageId,
          township_id: decision.townshipId,
          path: decision.path,
          citizen_id: actor.kind === 'citizen' ? actor.citizenId : null,
          contact_name_enc:
            input.contactName && !input.anonymous ? ctx.cipher.encrypt(input.contactName) : null,
          contact_phone_enc: phone ? ctx.cipher.encrypt(phone) : null,
          contact_phone_masked: phone ? maskPhone(phone) : null,
          anonymous: input.anonymous ?? false,
          confidential: input.confidential ?? false,
          reporter_user_id: actor.kind === 'staff' ? actor.userId : null,
          routing: JSON.stringify(decision),
          pending: '{}',
          attachments: JSON.stringify(input.attachments ?? []),
          idempotency_key: input.idempotencyKey ?? null,
          received_at: now,
          search_text: [code, title, input.description, input.address ?? ''].join(' '),
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const { case: after } = await commitEvent(
        trx,
        ctx,
        actor,
        { ...row, state: '' },
        {
          action: 'receive',
          to: wf.initial,
          set: {},
          payload: {
            channel: input.channel,
            categoryId: category.id,
            routing: decision,
            actorUnit: unitOf(actor),
          },
          deadlines: wf.onReceive,
          notify:
            input.type === 'appeal'
              ? [
                  {
                    to: 'citizen',
                    kind: 'received',
                    title: '诉求已受理：{code}',
                    body: '您的诉求已受理，受理编号 {code}，可凭编号查询办理进度。',
                    sms: true,
                  },
                ]
              : [],
          now,
          bumpVersion: false,
          meta,
        },
      );
      return { case: after, replayed: false };
    });
  } catch (err) {
    // Two concurrent retries with one key: the loser finds the winner's case.
    if (input.idempotencyKey && (err as { code?: string }).code === '23505') {
      const existing = await findByKey(ctx, county, input.idempotencyKey);
      if (existing) return { case: existing, replayed: true };
    }
    throw err;
  }
}

function findByKey(ctx: AppContext, county: string, key: string) {
  return ctx.database.db
    .selectFrom('cases')
    .selectAll()
    .where('county_code', '=', county)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/** Tracking codes: type letter + China date + daily serial, e.g. S2611290007. */
async function nextCode(
  trx: Parameters<typeof route>[0],
  county: string,
  prefix: string,
  now: Date,
): Promise<string> {
  const day = chinaDay(now).replaceAll('-', '').slice(2);
  const r = await trx
    .insertInto('case_sequences')
    .values({ county_code: county, day: `${prefix}${day}`, last: 1 })
    .onConflict((oc) =>
      oc.columns(['county_code', 'day']).doUpdateSet({ last: sql`case_sequences.last + 1` }),
    )
    .returning('last')
    .executeTakeFirstOrThrow();
  return `${prefix}${day}${String(r.last).padStart(4, '0')}`;
}
