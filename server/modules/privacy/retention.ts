import { sql } from 'kysely';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { audit } from '../audit/audit.ts';

/** What replaces a description once its retention period has passed. */
export const ANONYMISED_TEXT = '（已按保存期限匿名化）';

/**
 * Free-text fields of case events that may name or describe the citizen (notes, replies, reasons,
 * messages). Removed from event payloads on anonymised cases; the rest of the payload (states,
 * ratings, dates, units) stays, so every metric and the timeline's shape survive.
 */
const EVENT_TEXT_KEYS = [
  'note',
  'reply',
  'answer',
  'reason',
  'comment',
  'message',
  'result',
  'actionTaken',
  'responder',
  'text',
  'description',
  'address',
  'contactName',
  'contactPhone',
];

const BATCH = 200;

export interface RetentionResult {
  cutoff: Date;
  cases: number;
  photos: number;
  citizens: number;
}

/**
 * Retention (PIPL art. 19): for cases closed more than `RETENTION_DAYS` ago, removes what is
 * personal — the contact name and phone, the link to the citizen's account, the free text
 * (description, title after the category, replies, event notes), the address and exact position,
 * photos, Open311 e-mail and notifications — and keeps what the statistics need: type, category,
 * channel, grid/village/township, units, every date, state, ratings and counters. Then deletes
 * citizen accounts that no longer have a case and have not signed in within the period.
 * Runs in batches, each its own transaction with its audit row; safe to run again or from two
 * workers at once (a case is claimed by `anonymised_at is null`).
 */
export async function applyRetention(ctx: AppContext): Promise<RetentionResult> {
  const days = ctx.config.retentionDays;
  const cutoff = new Date(ctx.clock.now().getTime() - days * 86_400_000);
  const result: RetentionResult = { cutoff, cases: 0, photos: 0, citizens: 0 };
  if (days <= 0) return result;
  const county = ctx.config.countyCode;
  const now = ctx.clock.now();
  for (;;) {
    const batch = await ctx.database.transaction(async (trx) => {
      const ids = (
        await trx
          .selectFrom('cases')
          .select('id')
          .where('county_code', '=', county)
          .where('closed_at', 'is not', null)
          .where('closed_at', '<=', cutoff)
          .where('anonymised_at', 'is', null)
          .orderBy('closed_at')
          .limit(BATCH)
          .forUpdate()
          .skipLocked()
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return null;
      await trx
        .updateTable('cases as c')
        .set((eb) => ({
          description: ANONYMISED_TEXT,
          title: sql<string>`coalesce((select name from categories k where k.id = c.category_id and k.county_code = c.county_code), '诉求')`,
          search_text: sql<string>`c.code`,
          address: null,
          lon: null,
          lat: null,
          contact_name_enc: null,
          contact_phone_enc: null,
          contact_phone_masked: null,
          citizen_id: null,
          attachments: sql`'[]'::jsonb`,
          anonymised_at: now,
          version: eb('c.version', '+', 1),
        }))
        .where('c.id', 'in', ids)
        .execute();
      await trx
        .updateTable('case_units')
        .set({ reply: null })
        .where('case_id', 'in', ids)
        .where('reply', 'is not', null)
        .execute();
      await sql`update case_events set payload = payload - ${sql.val(EVENT_TEXT_KEYS)}::text[]
        where case_id in (${sql.join(ids)})`.execute(trx);
      const photos = await trx.deleteFrom('attachments').where('case_id', 'in', ids).executeTakeFirst();
      await trx
        .updateTable('open311_requests')
        .set({ email_enc: null })
        .where('case_id', 'in', ids)
        .execute();
      await trx.deleteFrom('notifications').where('case_id', 'in', ids).execute();
      const n = { cases: ids.length, photos: Number(photos.numDeletedRows) };
      await audit(trx, systemActor(county), {
        action: 'privacy.retention',
        targetType: 'case',
        detail: { ...n, cutoff: cutoff.toISOString(), retentionDays: days, caseIds: ids },
      });
      return n;
    });
    if (!batch) break;
    result.cases += batch.cases;
    result.photos += batch.photos;
  }
  // Accounts with nothing left and no sign-in within the period (sessions go with them).
  result.citizens = await ctx.database.transaction(async (trx) => {
    const gone = await trx
      .deleteFrom('citizens as z')
      .where('z.county_code', '=', county)
      .where((eb) =>
        eb.or([
          eb('z.last_login_at', '<=', cutoff),
          eb.and([eb('z.last_login_at', 'is', null), eb('z.created_at', '<=', cutoff)]),
        ]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('cases as c').select('c.id').whereRef('c.citizen_id', '=', 'z.id'))),
      )
      .returning('z.id')
      .execute();
    if (gone.length > 0) {
      await trx
        .deleteFrom('notifications')
        .where('recipient_kind', '=', 'citizen')
        .where(
          'recipient_id',
          'in',
          gone.map((g) => g.id),
        )
        .execute();
      await audit(trx, systemActor(county), {
        action: 'privacy.retention',
        targetType: 'citizen',
        detail: { citizens: gone.length, cutoff: cutoff.toISOString(), retentionDays: days },
      });
    }
    return gone.length;
  });
  return result;
}
