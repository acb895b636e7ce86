-- Per-address rate limits shared by every app process on PostgreSQL (decision 0032): one row per
-- route and address, counting the hits of its current window. Each process used to count in its own
-- memory, so N processes behind a load balancer let N times the limit through. Unlogged: a crash
-- forgets at most the counts of the current minute or hour, and the table is never replicated.
-- PGlite (one process) keeps counting in memory; the table stays empty there.
create unlogged table rate_limits (
  key text primary key,
  hits integer not null,
  window_end timestamptz not null
);
