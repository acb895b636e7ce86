-- Routing holds each county's grid index in memory and must know when grids change. Until now every
-- intake counted the county's grids and took their latest updated_at: a scan of all of them, per
-- appeal (785 in the demo county; a province has 100,000). Instead a per-county counter is bumped, in
-- the same transaction, by every insert, update and delete of a grid, whatever writes it (the admin
-- screens, the importer, a script): routing reads one row. The counter becomes visible exactly when
-- the grid change commits, so an index is never kept under a stamp newer than its grids.
create table grid_stamps (
  county_code text primary key references counties (code),
  version bigint not null default 0
);

create function gz_bump_grid_stamp() returns trigger
language plpgsql as $$
begin
  insert into grid_stamps (county_code, version)
  values (coalesce(new.county_code, old.county_code), 1)
  on conflict (county_code) do update set version = grid_stamps.version + 1;
  if tg_op = 'UPDATE' and new.county_code is distinct from old.county_code then
    insert into grid_stamps (county_code, version) values (old.county_code, 1)
    on conflict (county_code) do update set version = grid_stamps.version + 1;
  end if;
  return null;
end
$$;

create trigger grids_bump_stamp after insert or update or delete on grids
  for each row execute function gz_bump_grid_stamp();

insert into grid_stamps (county_code, version)
  select county_code, count(*) from grids group by county_code;
