-- The workbench lists cases newest first with the id as tie-breaker: `order by received_at desc, id`.
-- The index had only received_at, so for cases received at the same instant (an import, a batch of
-- alarms, the benchmark's cloned backlog) the scan read the whole group and sorted it before the page
-- was known: a township's first page read 11,000 cases of one instant, checking each against its
-- visibility keys (80 ms at a million cases). With the id in the index the scan stops at the page.
drop index cases_received_idx;
create index cases_received_idx on cases (county_code, received_at desc, id);
