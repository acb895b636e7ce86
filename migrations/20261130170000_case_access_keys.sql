-- The workbench's keyword search at a million cases (issue #6, decision 0031). The gram index found
-- every case holding a common term (违章建筑: 31,000 of a million) but said nothing about who may see
-- them or how new they are, so each search read all of them, checked visibility one case at a time
-- and sorted them by date for a page of twenty (200–500 ms). Two things now live in the same GIN
-- index as the grams:
--   who may see the case — the rule of `caseVisibleTo` (server/authz/scope.ts) as keys: 'p:' and
--     every '/'-ended prefix of the case's path (a territory sees the cases under it), 'u:' and the
--     lead unit and every unit in case_units (sent to, assisting, whistled), 'r:' and the reporter;
--     a staff member's keys are 'p:' their scope path, 'u:' their unit, 'r:' themselves, and the case
--     is visible when the two sets share one (`&&`);
--   when it came — 't:' and its 30-day period (received_at), so a search can ask the newest periods
--     first and read only their cases when they fill the page.
-- One index, so that a term, a visibility and a period meet inside one index scan: with separate
-- indexes the planner, which cannot estimate a term, would not AND them.

-- The units a case has been sent to (case_units' org ids, sorted, distinct), kept by the trigger
-- below for whatever writes case_units: the engine, the retention job, a script.
alter table cases add column unit_ids text[] not null default '{}';

-- Scope paths are '/'-ended like the org paths they come from: a territory's key 'p:/a/b/' is then
-- exactly "path like '/a/b/%'".
alter table org_units add constraint org_units_scope_path_check check (scope_path like '/%/');

create function gz_case_keys(path text, lead text, reporter uuid, received timestamptz, units text[])
returns text[]
language plpgsql immutable parallel safe as $$
declare
  keys text[] := array['t:' || floor(extract(epoch from received) / 2592000)::bigint];
  prefix text := '/';
  part text;
  u text;
begin
  foreach part in array coalesce(string_to_array(trim(both '/' from path), '/'), '{}') loop
    prefix := prefix || part || '/';
    keys := keys || ('p:' || prefix);
  end loop;
  if lead is not null then keys := keys || ('u:' || lead); end if;
  if reporter is not null then keys := keys || ('r:' || reporter::text); end if;
  foreach u in array coalesce(units, '{}') loop
    keys := keys || ('u:' || u);
  end loop;
  return keys;
end
$$;

-- Sets unit_ids of the given cases from case_units (only where it changed).
create function gz_refresh_unit_ids(ids uuid[]) returns void
language sql as $$
  update cases c set unit_ids = u.ids
  from (
    select t.id as case_id,
      coalesce((select array_agg(distinct cu.org_id order by cu.org_id) from case_units cu
                where cu.case_id = t.id), '{}') as ids
    from (select distinct unnest(ids) as id) t
  ) u
  where c.id = u.case_id and c.unit_ids is distinct from u.ids
$$;

-- Statement triggers: one update per statement, however many rows it wrote. A trigger with
-- transition tables has one event, so insert, update and delete each have their own.
create function gz_case_units_inserted() returns trigger
language plpgsql as $$
begin
  perform gz_refresh_unit_ids(array(select case_id from new_rows));
  return null;
end
$$;

create function gz_case_units_deleted() returns trigger
language plpgsql as $$
begin
  perform gz_refresh_unit_ids(array(select case_id from old_rows));
  return null;
end
$$;

create function gz_case_units_updated() returns trigger
language plpgsql as $$
begin
  perform gz_refresh_unit_ids(array(select case_id from old_rows union select case_id from new_rows));
  return null;
end
$$;

create trigger case_units_ins_unit_ids after insert on case_units
  referencing new table as new_rows for each statement execute function gz_case_units_inserted();
create trigger case_units_del_unit_ids after delete on case_units
  referencing old table as old_rows for each statement execute function gz_case_units_deleted();
create trigger case_units_upd_unit_ids after update on case_units
  referencing old table as old_rows new table as new_rows
  for each statement execute function gz_case_units_updated();

-- The old gram index goes first: it would otherwise be updated for every row of the fill below.
drop index cases_search_grams_idx;

update cases c set unit_ids = u.ids
from (
  select case_id, array_agg(distinct org_id order by org_id) as ids from case_units group by case_id
) u
where c.id = u.case_id;

-- The grams as before (a term alone still uses the index by its first column), and the keys.
create index cases_search_idx on cases using gin (
  gz_grams(search_text),
  gz_case_keys(path, lead_org_id, reporter_user_id, received_at, unit_ids)
);

analyze cases;
