import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../server/db/schema.ts';

/**
 * The coarse rollups (`assessment_rollups_coarse`: year, month and day × township, unit and
 * township × unit) recounted from day-grain rows, as sorted keys `span|grain|day|loc_path|unit_id|
 * metric|value` without zero sums — what the table must hold. `source` yields the day rows:
 * `day` (text, YYYY-MM-DD), `unit_id`, `metric`, `value` and the place's `loc_path`
 * (`/<county>/<township>/…/`). Used by the rollup tests and the generator's test.
 */
export async function recountCoarse(db: Kysely<DB>, source: RawBuilder<unknown>): Promise<string[]> {
  const r = await sql<{ k: string }>`
    with d as (
      select s.day, left(s.day, 7) || '-01' as month, left(s.day, 4) || '-01-01' as year, s.unit_id,
        s.metric, s.value,
        case when split_part(s.loc_path, '/', 3) = '' then s.loc_path
          else '/' || split_part(s.loc_path, '/', 2) || '/' || split_part(s.loc_path, '/', 3) || '/' end as township,
        '/' || split_part(s.loc_path, '/', 2) || '/' as county
      from (${source}) s)
    select k from (
      select concat_ws('|', 'day', 'township', day, township, '', metric, sum(value)) as k from d
        group by day, township, metric
      union all
      select concat_ws('|', 'day', 'unit', day, county, unit_id, metric, sum(value)) from d
        group by day, county, unit_id, metric
      union all
      select concat_ws('|', 'month', 'township', month, township, '', metric, sum(value)) from d
        group by month, township, metric
      union all
      select concat_ws('|', 'month', 'unit', month, county, unit_id, metric, sum(value)) from d
        group by month, county, unit_id, metric
      union all
      select concat_ws('|', 'month', 'township_unit', month, township, unit_id, metric, sum(value)) from d
        group by month, township, unit_id, metric
      union all
      select concat_ws('|', 'year', 'township', year, township, '', metric, sum(value)) from d
        group by year, township, metric
      union all
      select concat_ws('|', 'year', 'unit', year, county, unit_id, metric, sum(value)) from d
        group by year, county, unit_id, metric
      union all
      select concat_ws('|', 'year', 'township_unit', year, township, unit_id, metric, sum(value)) from d
        group by year, township, unit_id, metric) x
    where k not like '%|0'
    order by 1`.execute(db);
  return r.rows.map((x) => x.k);
}

/** What `assessment_rollups_coarse` holds, as the same sorted keys (zero rows left out). */
export async function coarseRows(db: Kysely<DB>): Promise<string[]> {
  const r = await sql<{ k: string }>`
    select concat_ws('|', span, grain, to_char(day, 'YYYY-MM-DD'), loc_path, unit_id, metric, value) as k
    from assessment_rollups_coarse where value <> 0 order by 1`.execute(db);
  return r.rows.map((x) => x.k);
}
