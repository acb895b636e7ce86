-- Coarse assessment rollups: the day rollups' deltas without village and category, summed by year,
-- month and day, kept by the engine in the same statement as the day rows (`addRollupBatch`). The
-- assessment reads a period's whole years and months here and the days of its partial months from
-- the day rows here, so a year costs a few thousand rows instead of millions whatever the number
-- of cases. Each span is summed in the grains the reads group by:
--   township       township path × metric (unit_id ''): territories, township rankings
--   unit           county path × unit × metric: a department, the county's department ranking
--   township_unit  township path × unit × metric, years and months only: one township's
--                  departments, one department's townships (their partial months read the village
--                  day rows)
create table assessment_rollups_coarse (
  county_code text not null references counties (code),
  span text not null,
  grain text not null,
  -- The first day of the span (the day itself, the first of the month, the first of January),
  -- China calendar.
  day date not null,
  -- The location path cut down to the township ('/county/township/') or, in the unit grain, to the
  -- county ('/county/'); shorter paths as they are.
  loc_path text not null,
  unit_id text not null,
  metric text not null,
  value bigint not null default 0,
  constraint assessment_rollups_coarse_pkey
    primary key (county_code, span, grain, day, loc_path, unit_id, metric),
  constraint assessment_rollups_coarse_span_check check (
    span = 'day'
    or (span = 'month' and extract(day from day) = 1)
    or (span = 'year' and extract(doy from day) = 1)),
  constraint assessment_rollups_coarse_grain_check check (
    grain in ('township', 'unit') or (grain = 'township_unit' and span <> 'day'))
)
-- fillfactor: room for the in-place (HOT) updates every event makes; no parallel scans: every read
-- is a few thousand rows, and starting workers (most of all on a busy machine) costs more.
with (fillfactor = 80, parallel_workers = 0);
create index assessment_rollups_coarse_path_idx
  on assessment_rollups_coarse (county_code, span, grain, loc_path text_pattern_ops, day);
create index assessment_rollups_coarse_unit_idx
  on assessment_rollups_coarse (county_code, span, grain, unit_id, day);

-- Backfill from the day rollups, so an existing database answers the same after migrating: days
-- from the day rollups, months from days, years from months (the same statements as
-- `rebuildCoarseRollups` in server/engine/rollups.ts; paths cut as `townshipPath` and `countyPath`).
insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
select county_code, 'day', 'township', day,
  case when split_part(loc_path, '/', 3) = '' then loc_path
    else '/' || split_part(loc_path, '/', 2) || '/' || split_part(loc_path, '/', 3) || '/' end,
  '', metric, sum(value)
from assessment_rollups
group by 1, 2, 3, 4, 5, 6, 7;

insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
select county_code, 'day', 'unit', day,
  case when split_part(loc_path, '/', 2) = '' then loc_path else '/' || split_part(loc_path, '/', 2) || '/' end,
  unit_id, metric, sum(value)
from assessment_rollups
group by 1, 2, 3, 4, 5, 6, 7;

insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
select county_code, 'month', 'township_unit', date_trunc('month', day)::date,
  case when split_part(loc_path, '/', 3) = '' then loc_path
    else '/' || split_part(loc_path, '/', 2) || '/' || split_part(loc_path, '/', 3) || '/' end,
  unit_id, metric, sum(value)
from assessment_rollups
group by 1, 2, 3, 4, 5, 6, 7;

insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
select county_code, 'month', grain, date_trunc('month', day)::date, loc_path, unit_id, metric, sum(value)
from assessment_rollups_coarse
where span = 'day'
group by 1, 2, 3, 4, 5, 6, 7;

insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
select county_code, 'year', grain, date_trunc('year', day)::date, loc_path, unit_id, metric, sum(value)
from assessment_rollups_coarse
where span = 'month'
group by 1, 2, 3, 4, 5, 6, 7;

-- Statistics at once: the reads are planned on them from the first request.
analyze assessment_rollups_coarse;
