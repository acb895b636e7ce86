import { type Kysely, sql } from 'kysely';
import type { Actor } from '../authz/actor.ts';
import type { AppContext } from '../context.ts';
import type { CaseRow, DB, Urgency } from '../db/schema.ts';
import { maskPhone } from '../lib/crypto.ts';
import { AppError } from '../lib/errors.ts';
import {
  type CasePhoto,
  claimForCase,
  listCaseAttachments,
} from '../modules/attachments/attachments.repository.ts';
import { uploaderOf } from '../modules/attachments/attachments.service.ts';
import { countyConfig } from './config.ts';
import type { NewDeadline } from './deadlines.ts';
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
 *
 * Cost (bench/intake.bench.ts): the category comes from the engine's cached copy (config.ts);
 * validation and routing read outside the transaction; the tracking code is taken in a statement
 * of its own before it, so the one counter row every intake of the day updates is locked only for
 * that statement, not for the whole transaction (a failed intake leaves a gap in the day's
 * serials, which are labels, not counts). A repeated key is found by the unique constraint, not by
 * a read before every intake.
 */
export async function receiveCase(
  ctx: AppContext,
  actor: Actor,
  input: IntakeInput,
  meta: Meta = {},
): Promise<Received> {
  const county = actor.countyCode;
  try {
    return await receiveNew(ctx, actor, input, meta);
  } catch (err) {
    // A retry (also one racing the first, or one whose body differs and no longer validates)
    // answers the case its key made.
    if (input.idempotencyKey && (err instanceof AppError || (err as { code?: string }).code === '23505')) {
      const existing = await findByKey(ctx, county, input.idempotencyKey);
      if (existing) return { case: existing, replayed: true };
    }
    throw err;
  }
}

/**
 * The case a call to `receiveCase` stands for. A new case comes with what its intake wrote besides
 * the row — its deadlines and photos (it has no units or whistles yet) — so that the answer needs
 * no second read of it.
 */
export type Received =
  | { case: CaseRow; replayed: true }
  | { case: CaseRow; replayed: false; written: { deadlines: NewDeadline[]; photos: CasePhoto[] } };

async function receiveNew(ctx: AppContext, actor: Actor, input: IntakeInput, meta: Meta): Promise<Received> {
  const county = actor.countyCode;
  const wf = workflowOf(input.type);
  const attachmentIds = [...new Set(input.attachments ?? [])];
  const category = (await countyConfig(ctx, county)).categories.get(input.categoryId);
  if (!category?.active || !category.case_types.includes(input.type)) {
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'categoryId', message: '类别不存在或不适用' }],
    });
  }
  const db = ctx.database.db;
  const decision = await route(
    db,
    county,
    {
      lon: input.lon ?? null,
      lat: input.lat ?? null,
      villageId: input.villageId ?? null,
      categoryId: category.id,
    },
    category,
  );
  const now = ctx.clock.now();
  const code = await nextCode(db, county, input.type === 'appeal' ? 'S' : 'E', now);
  return ctx.database.transaction(async (trx) => {
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
        attachments: JSON.stringify(attachmentIds),
        idempotency_key: input.idempotencyKey ?? null,
        received_at: now,
        search_text: [code, title, input.description, input.address ?? ''].join(' '),
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const photos = await takeAttachments(trx, actor, row.id, attachmentIds);
    const { case: after, newDeadlines } = await commitEvent(
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
        fresh: true,
      },
    );
    return { case: after, replayed: false, written: { deadlines: newDeadlines, photos } };
  });
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

/**
 * Gives the uploaded photos to the new case. Only the caller's own uploads that no case has taken
 * yet (any system upload for a system channel); anything else is refused, and nothing is written.
 */
async function takeAttachments(
  trx: Kysely<DB>,
  actor: Actor,
  caseId: string,
  ids: string[],
): Promise<CasePhoto[]> {
  if (ids.length === 0) return [];
  const taken = await claimForCase(
    trx,
    actor.countyCode,
    caseId,
    ids,
    actor.kind === 'system' ? 'system' : uploaderOf(actor),
  );
  if (taken !== ids.length) {
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'attachments', message: '照片不存在、已被使用或不是您上传的，请重新上传' }],
    });
  }
  return listCaseAttachments(trx, caseId);
}
