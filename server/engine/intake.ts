import { type Insertable, type Kysely, sql } from 'kysely';
import type { Actor } from '../authz/actor.ts';
import type { AppContext } from '../context.ts';
import type { CaseRow, CasesTable, DB, Urgency } from '../db/schema.ts';
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
import { commitEvents, type EventSpec, type Meta, unitOf } from './engine.ts';
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

/** An intake checked and routed, waiting to be written (everything but its tracking code). */
interface Ready {
  actor: Actor;
  meta: Meta;
  now: Date;
  prefix: 'S' | 'E';
  /** The case row without `code` and `search_text`, which need the code. */
  row: Omit<Insertable<CasesTable>, 'code' | 'search_text'>;
  /** Code-less part of `search_text`: title, description, address. */
  text: string;
  attachmentIds: string[];
  spec: Omit<EventSpec, 'now' | 'meta'>;
}

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
  const phone = input.anonymous ? undefined : input.contactPhone;
  const title = input.title?.trim() || `${category.name}：${input.description.slice(0, 24)}`;
  return submit(ctx, {
    actor,
    meta,
    now,
    prefix: input.type === 'appeal' ? 'S' : 'E',
    row: {
      county_code: county,
      type: input.type,
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
      contact_name_enc: input.contactName && !input.anonymous ? ctx.cipher.encrypt(input.contactName) : null,
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
      updated_at: now,
    },
    text: [title, input.description, input.address ?? ''].join(' '),
    attachmentIds,
    spec: {
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
      bumpVersion: false,
      fresh: true,
    },
  });
}

/**
 * Group commit. Intakes that arrive while a batch is being written wait and are written together
 * in the next one: one statement for their tracking codes, then one transaction with one insert of
 * the cases and, through the engine's `commitEvents`, one of their events, one of their deadlines,
 * one of the outbox and one rollup upsert. Nothing waits for a batch to fill: an intake arriving
 * when no batch is running is written at once, alone. Every caller is answered after the commit
 * that holds its case. If a batch fails (a repeated idempotency key, a photo already taken, the
 * database going away), each of its intakes is written again on its own, so that each gets its own
 * answer and one bad appeal never costs another its place.
 */
interface Waiting {
  ready: Ready;
  resolve: (r: Received) => void;
  reject: (err: unknown) => void;
}

const queues = new WeakMap<object, Queue>();

interface Queue {
  waiting: Waiting[];
  /** A batch is being written (one at a time per process). */
  running: boolean;
}
/** Largest batch (a bound on the statement's size and on the work lost to a failed batch). */
const MAX_BATCH = 64;

function submit(ctx: AppContext, ready: Ready): Promise<Received> {
  let q = queues.get(ctx.database);
  if (!q) {
    q = { waiting: [], running: false };
    queues.set(ctx.database, q);
  }
  const queue = q;
  return new Promise<Received>((resolve, reject) => {
    queue.waiting.push({ ready, resolve, reject });
    // One batch at a time per process: while it is written, the next one gathers. (On PostgreSQL,
    // two at a time was measured no faster: 8 clients, 345–368 against 370–426 appeals/s.)
    if (!queue.running) void drain(ctx, queue);
  });
}

async function drain(ctx: AppContext, q: Queue): Promise<void> {
  q.running = true;
  try {
    while (q.waiting.length) {
      const batch = q.waiting.splice(0, MAX_BATCH);
      try {
        const results = await writeIntakes(
          ctx,
          batch.map((w) => w.ready),
        );
        batch.forEach((w, i) => {
          w.resolve(results[i]!);
        });
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        else for (const w of batch) await writeIntakes(ctx, [w.ready]).then(([r]) => w.resolve(r!), w.reject);
      }
    }
  } finally {
    q.running = false;
  }
}

/**
 * Writes a batch of intakes (see `submit`): their codes in a statement of their own, so that the
 * counter row every intake of the day updates is locked only for that statement, then one
 * transaction.
 */
async function writeIntakes(ctx: AppContext, batch: readonly Ready[]): Promise<Received[]> {
  const codes = await nextCodes(ctx.database.db, batch);
  return ctx.database.transaction(async (trx) => {
    const rows = await trx
      .insertInto('cases')
      .values(batch.map((r, i) => ({ ...r.row, code: codes[i]!, search_text: `${codes[i]} ${r.text}` })))
      .returningAll()
      .execute();
    // Codes are unique per county (two counties' batches may share one).
    const rowOf = new Map(rows.map((row) => [`${row.county_code}|${row.code}`, row]));
    const cases = batch.map((r, i) => rowOf.get(`${r.row.county_code}|${codes[i]}`)!);
    const photos: CasePhoto[][] = [];
    for (const [i, r] of batch.entries())
      photos.push(await takeAttachments(trx, r.actor, cases[i]!.id, r.attachmentIds));
    const results = await commitEvents(
      trx,
      ctx,
      batch.map((r, i) => ({
        actor: r.actor,
        case: { ...cases[i]!, state: '' },
        spec: { ...r.spec, now: r.now, meta: r.meta },
      })),
    );
    return results.map((e, i) => ({
      case: e.case,
      replayed: false as const,
      written: { deadlines: e.newDeadlines, photos: photos[i]! },
    }));
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

/**
 * Tracking codes: type letter + China date + daily serial, e.g. S2611290007. A batch takes its
 * serials in one statement, one counter row per county and type-day, each moved on by its count.
 */
async function nextCodes(db: Kysely<DB>, batch: readonly Ready[]): Promise<string[]> {
  const keys = batch.map((r) => {
    const day = `${r.prefix}${chinaDay(r.now).replaceAll('-', '').slice(2)}`;
    return { county: String(r.row.county_code), day, id: `${r.row.county_code}|${day}` };
  });
  const counts = new Map<string, { county: string; day: string; n: number }>();
  for (const k of keys) {
    const c = counts.get(k.id);
    if (c) c.n++;
    else counts.set(k.id, { county: k.county, day: k.day, n: 1 });
  }
  // A fixed order: two batches never wait on each other's counter rows crosswise.
  const groups = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, g]) => g);
  const taken = await db
    .insertInto('case_sequences')
    .values(groups.map((g) => ({ county_code: g.county, day: g.day, last: g.n })))
    .onConflict((oc) =>
      oc.columns(['county_code', 'day']).doUpdateSet({ last: sql`case_sequences.last + excluded.last` }),
    )
    .returning(['county_code', 'day', 'last'])
    .execute();
  // The serial before the batch's first, per counter row; each code moves it on by one.
  const serial = new Map(
    taken.map((t) => {
      const id = `${t.county_code}|${t.day}`;
      return [id, t.last - counts.get(id)!.n];
    }),
  );
  return keys.map((k) => {
    const n = serial.get(k.id)! + 1;
    serial.set(k.id, n);
    return `${k.day}${String(n).padStart(4, '0')}`;
  });
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
