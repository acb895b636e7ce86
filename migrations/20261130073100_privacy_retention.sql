-- Retention (PIPL): when a closed case's personal data was removed, and the index the nightly job
-- walks to find closed cases whose retention period has passed and that still hold personal data.
alter table cases add column anonymised_at timestamptz;
create index cases_retention_idx on cases (county_code, closed_at)
  where closed_at is not null and anonymised_at is null;
