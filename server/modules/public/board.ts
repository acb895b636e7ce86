import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { chinaDay } from '../../engine/rollups.ts';
import { AppError } from '../../lib/errors.ts';

/**
 * The public board of resolved appeals (办结公示): what kind of problem, where (village), when it
 * came in, when it was closed, whether it was solved and how the citizen rated it. Anonymised by
 * construction: no text the citizen or staff wrote, no names, no contact, no exact place; appeals
 * marked confidential never appear.
 */
export interface BoardQuery {
  township?: string | undefined;
  village?: string | undefined;
  /** Cursor: the `next` of the previous page. */
  before?: string | undefined;
  limit?: number | undefined;
}

const CLOSED = sql<boolean>`c.state = 'closed' and c.type = 'appeal' and c.confidential = false`;

/** The page cursor is sealed with the field cipher, so no case id is ever shown to the public. */
function encodeCursor(ctx: AppContext, at: Date, id: string): string {
  return Buffer.from(ctx.cipher.encrypt(`${at.getTime()}_${id}`)).toString('base64url');
}

function decodeCursor(ctx: AppContext, cursor: string): { at: Date; id: string } {
  let plain = '';
  try {
    plain = ctx.cipher.decrypt(Buffer.from(cursor, 'base64url').toString());
  } catch {
    /* reported below */
  }
  const [ms, id] = plain.split('_');
  const at = new Date(Number(ms));
  if (!id || Number.isNaN(at.getTime()))
    throw new AppError('VALIDATION_FAILED', { details: [{ field: 'before', message: '翻页参数不正确' }] });
  return { at, id };
}

function area(db: Kysely<DB>, countyCode: string, q: BoardQuery) {
  let b = db.selectFrom('cases as c').where('c.county_code', '=', countyCode).where(CLOSED);
  if (q.village) b = b.where('c.village_id', '=', q.village);
  else if (q.township) b = b.where('c.township_id', '=', q.township);
  return b;
}

export async function publicBoard(ctx: AppContext, q: BoardQuery) {
  const { db } = ctx.database;
  const county = ctx.config.countyCode;
  const place = q.village ?? q.township;
  if (place) {
    const unit = await db
      .selectFrom('org_units')
      .select(['id', 'kind'])
      .where('county_code', '=', county)
      .where('id', '=', place)
      .executeTakeFirst();
    if (!unit || unit.kind !== (q.village ? 'village' : 'township'))
      throw new AppError('NOT_FOUND', { message: q.village ? '没有这个村（社区）' : '没有这个乡镇（街道）' });
  }
  const limit = q.limit ?? 20;
  let items = area(db, county, q)
    .leftJoin('categories as cat', 'cat.id', 'c.category_id')
    .leftJoin('org_units as v', 'v.id', 'c.village_id')
    .leftJoin('org_units as t', 't.id', 'c.township_id')
    .select([
      'c.id',
      'c.received_at',
      'c.closed_at',
      'c.resolved',
      'c.satisfaction',
      'cat.name as category',
      'cat.name_en as category_en',
      'v.name as village',
      't.name as township',
    ])
    .orderBy('c.closed_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit + 1);
  if (q.before) {
    const { at, id } = decodeCursor(ctx, q.before);
    items = items.where((eb) =>
      eb.or([eb('c.closed_at', '<', at), eb.and([eb('c.closed_at', '=', at), eb('c.id', '<', id)])]),
    );
  }
  const year = new Date(ctx.clock.now().getTime() + 8 * 3600_000).getUTCFullYear();
  const yearStart = new Date(Date.UTC(year, 0, 1) - 8 * 3600_000);
  const [rows, totals] = await Promise.all([
    items.execute(),
    area(db, county, q)
      .where('c.closed_at', '>=', yearStart)
      .select((eb) => [
        eb.fn.countAll<number>().as('closed'),
        eb.fn.count<number>('c.satisfaction').as('rated'),
        sql<number>`count(*) filter (where c.satisfaction in ('satisfied', 'basically_satisfied'))`.as(
          'satisfied',
        ),
        sql<number>`count(*) filter (where c.resolved)`.as('resolved'),
        sql<number | null>`avg(extract(epoch from (c.closed_at - c.received_at)) / 86400.0)`.as('avg_days'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    year,
    summary: {
      closed: Number(totals.closed),
      resolvedRate: totals.closed ? Number(totals.resolved) / Number(totals.closed) : null,
      satisfactionRate: totals.rated ? Number(totals.satisfied) / Number(totals.rated) : null,
      averageDays: totals.avg_days === null ? null : Math.round(Number(totals.avg_days) * 10) / 10,
    },
    items: page.map((r) => ({
      category: r.category ?? '',
      categoryEn: r.category_en ?? '',
      township: r.township ?? '',
      village: r.village ?? '',
      receivedOn: chinaDay(r.received_at),
      closedOn: chinaDay(r.closed_at!),
      days: Math.max(
        0,
        Math.round(((r.closed_at!.getTime() - r.received_at.getTime()) / 86400_000) * 10) / 10,
      ),
      resolved: r.resolved,
      satisfaction: r.satisfaction,
    })),
    next: rows.length > limit && last ? encodeCursor(ctx, last.closed_at!, last.id) : null,
  };
}
