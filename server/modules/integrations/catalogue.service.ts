import type { StaffActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { ExchangeChannel, ExchangeDirection } from '../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { hostOf } from '../webhooks/webhooks.service.ts';
import {
  columnsOf,
  countIotDevices,
  type Exchange,
  findExchange,
  listExchanges,
  listOpen311Keys,
  listWebhookSystems,
} from './catalogue.repository.ts';

type Meta = { ip?: string | undefined; requestId?: string | undefined };

/** One catalogue entry as staff see it. */
export function presentExchange(x: Exchange) {
  return {
    id: x.id,
    system: x.system,
    direction: x.direction,
    dataItems: x.data_items,
    channel: x.channel,
    legalBasis: x.legal_basis,
    contact: x.contact,
    note: x.note,
    active: x.active,
    version: x.version,
    updatedBy: x.updated_by ? { id: x.updated_by, name: x.updated_by_name ?? '' } : null,
    updatedAt: x.updated_at.toISOString(),
  };
}

/** Why a live source could not be listed: its module is not installed in this database. */
const ABSENT = '该渠道模块尚未安装（数据库中没有对应的表）';

/**
 * What is actually configured, next to what the catalogue says: webhook subscriptions (host only —
 * a URL's path or query may hold a token), Open311 API keys and IoT device counts by type. The last
 * two come from other modules' tables and are read only when those tables exist in this database
 * (`available: false` otherwise).
 */
async function liveChannels(ctx: AppContext, countyCode: string) {
  const db = ctx.database.db;
  const webhooks = (await listWebhookSystems(db, countyCode)).map((w) => ({
    id: w.id,
    name: w.name,
    system: w.system,
    host: hostOf(w.url),
    events: w.events,
    active: w.active,
  }));
  const o311 = await columnsOf(db, 'open311_api_keys');
  const open311 =
    o311.has('name') && o311.has('system')
      ? { available: true, note: null, keys: await listOpen311Keys(db, countyCode, o311) }
      : { available: false, note: ABSENT, keys: [] };
  const iotCols = await columnsOf(db, 'iot_devices');
  const typeCol = ['type', 'device_type', 'kind'].find((c) => iotCols.has(c));
  const iot = typeCol
    ? { available: true, note: null, devices: await countIotDevices(db, countyCode, iotCols, typeCol) }
    : { available: false, note: ABSENT, devices: [] };
  return { webhooks, open311, iot };
}

/** The county's catalogue of data exchanges with the channels actually configured. */
export async function getCatalogue(ctx: AppContext, actor: StaffActor) {
  const rows = await listExchanges(ctx.database.db, actor.countyCode);
  return { items: rows.map(presentExchange), live: await liveChannels(ctx, actor.countyCode) };
}

export interface ExchangeInput {
  system: string;
  direction: ExchangeDirection;
  dataItems: string[];
  channel: ExchangeChannel;
  legalBasis?: string | undefined;
  contact?: string | undefined;
  note?: string | undefined;
  active?: boolean | undefined;
}

const clean = (items: string[]) => [...new Set(items.map((s) => s.trim()).filter(Boolean))];

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

/** Adds an entry; one per system and channel (409 DUPLICATE). Audited. */
export async function createExchange(ctx: AppContext, actor: StaffActor, input: ExchangeInput, meta: Meta) {
  const now = ctx.clock.now();
  try {
    const id = await ctx.database.transaction(async (trx) => {
      const row = await trx
        .insertInto('data_exchanges')
        .values({
          county_code: actor.countyCode,
          system: input.system.trim(),
          direction: input.direction,
          data_items: clean(input.dataItems),
          channel: input.channel,
          legal_basis: input.legalBasis?.trim() ?? '',
          contact: input.contact?.trim() ?? '',
          note: input.note?.trim() ?? '',
          active: input.active ?? true,
          updated_by: actor.userId,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await audit(trx, actor, {
        action: 'exchange.created',
        targetType: 'data_exchange',
        targetId: row.id,
        detail: { system: input.system, channel: input.channel, direction: input.direction },
        ...meta,
      });
      return row.id;
    });
    return { exchange: presentExchange((await findExchange(ctx.database.db, actor.countyCode, id))!) };
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError('DUPLICATE', {
        details: [{ field: 'system', message: '该系统在此渠道下已有登记' }],
      });
    }
    throw err;
  }
}

export interface ExchangePatch extends Partial<ExchangeInput> {
  version: number;
}

/** Changes an entry (the version read, else 409 CONFLICT; 409 DUPLICATE on a taken system + channel). Audited. */
export async function updateExchange(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  patch: ExchangePatch,
  meta: Meta,
) {
  const db = ctx.database.db;
  if (!(await findExchange(db, actor.countyCode, id))) throw notFound();
  const now = ctx.clock.now();
  try {
    await ctx.database.transaction(async (trx) => {
      const updated = await trx
        .updateTable('data_exchanges')
        .set((eb) => ({
          ...(patch.system !== undefined ? { system: patch.system.trim() } : {}),
          ...(patch.direction !== undefined ? { direction: patch.direction } : {}),
          ...(patch.dataItems !== undefined ? { data_items: clean(patch.dataItems) } : {}),
          ...(patch.channel !== undefined ? { channel: patch.channel } : {}),
          ...(patch.legalBasis !== undefined ? { legal_basis: patch.legalBasis.trim() } : {}),
          ...(patch.contact !== undefined ? { contact: patch.contact.trim() } : {}),
          ...(patch.note !== undefined ? { note: patch.note.trim() } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
          version: eb('version', '+', 1),
          updated_by: actor.userId,
          updated_at: now,
        }))
        .where('id', '=', id)
        .where('county_code', '=', actor.countyCode)
        .where('version', '=', patch.version)
        .returning('id')
        .executeTakeFirst();
      if (!updated) throw new AppError('CONFLICT');
      await audit(trx, actor, {
        action: 'exchange.updated',
        targetType: 'data_exchange',
        targetId: id,
        detail: { changed: Object.keys(patch).filter((k) => k !== 'version') },
        ...meta,
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError('DUPLICATE', {
        details: [{ field: 'system', message: '该系统在此渠道下已有登记' }],
      });
    }
    throw err;
  }
  return { exchange: presentExchange((await findExchange(db, actor.countyCode, id))!) };
}
