import { type Kysely, sql } from 'kysely';
import type { CaseRow, DB } from '../db/schema.ts';

/** Metric deltas one event contributes to the assessment rollups (names are `type:metric`). */
export type Metrics = Record<string, number>;

/** Where an event counts: the case's village (or deepest place), the unit, the top-level category. */
export interface Attribution {
  locId: string;
  locPath: string;
  unitId: string;
  categoryRoot: string;
}

/** The China calendar day (UTC+8) of an instant, as YYYY-MM-DD. */
export function chinaDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Attribution of a case at the moment of an event. */
export function attributionOf(
  c: Pick<CaseRow, 'path' | 'lead_org_id' | 'category_id'>,
  categoryRoot: string,
  unitId?: string,
): Attribution {
  // The location path down to the village (grids are too fine for assessment).
  const parts = c.path.split('/').filter(Boolean).slice(0, 3);
  return {
    locId: parts.at(-1) ?? '',
    locPath: `/${parts.join('/')}/`,
    unitId: unitId ?? c.lead_org_id ?? '',
    categoryRoot,
  };
}

/**
 * Adds an event's metrics to the rollups in the caller's transaction. The same deltas are stored on
 * the event (`payload.m`, `payload.attr`), so the rollups can always be recomputed from the log.
 */
export async function addRollups(
  trx: Kysely<DB>,
  countyCode: string,
  at: Date,
  attr: Attribution,
  metrics: Metrics,
): Promise<void> {
  // A fixed order of rows keeps concurrent upserts from deadlocking on each other.
  const entries = Object.entries(metrics)
    .filter(([, v]) => v !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return;
  const day = chinaDay(at);
  await trx
    .insertInto('assessment_rollups')
    .values(
      entries.map(([metric, value]) => ({
        county_code: countyCode,
        day,
        loc_id: attr.locId,
        loc_path: attr.locPath,
        unit_id: attr.unitId,
        category_root: attr.categoryRoot,
        metric,
        value,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['county_code', 'day', 'loc_id', 'unit_id', 'category_root', 'metric'])
        .doUpdateSet({ value: sql`assessment_rollups.value + excluded.value` }),
    )
    .execute();
}
