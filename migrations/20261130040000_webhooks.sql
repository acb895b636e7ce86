-- Outbound webhooks (subscriptions and their delivery log, an outbox written in the case event's
-- transaction) and the data-sharing catalogue (which external systems send or receive what).

create table webhook_subscriptions (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  name text not null,
  -- The receiving system, as people call it (城管 urban management, 12345 hotline, …).
  system text not null,
  url text not null,
  -- The signing secret, encrypted with the field cipher (keyId:iv:tag:ciphertext); shown once.
  secret_enc text not null,
  events text[] not null,
  active boolean not null default true,
  version integer not null default 1,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_subscriptions_url_check check (url ~ '^https?://'),
  constraint webhook_subscriptions_events_check check (
    cardinality(events) > 0
    and events <@ array['case.created', 'case.dispatched', 'case.replied', 'case.closed']::text[]
  )
);
create index webhook_subscriptions_county_idx on webhook_subscriptions (county_code, active);

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  subscription_id uuid not null references webhook_subscriptions (id),
  event text not null,
  -- The case event that caused it (null for a test ping).
  case_event_id bigint references case_events (id),
  case_id uuid references cases (id),
  payload jsonb not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  -- When the next attempt is due; while an attempt runs, the end of its lease.
  next_attempt_at timestamptz,
  -- HTTP status of the last attempt (null: no answer — refused, timed out, not sent).
  last_status integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  constraint webhook_deliveries_status_check check (status in ('pending', 'delivered', 'failed', 'cancelled')),
  constraint webhook_deliveries_event_check check (
    event in ('case.created', 'case.dispatched', 'case.replied', 'case.closed', 'ping')
  ),
  constraint webhook_deliveries_due_check check (status <> 'pending' or next_attempt_at is not null)
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_log_idx on webhook_deliveries (county_code, created_at desc);
create index webhook_deliveries_subscription_idx on webhook_deliveries (subscription_id, created_at desc);

create table data_exchanges (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  system text not null,
  direction text not null,
  data_items text[] not null default '{}',
  channel text not null,
  legal_basis text not null default '',
  contact text not null default '',
  note text not null default '',
  active boolean not null default true,
  version integer not null default 1,
  updated_by uuid references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint data_exchanges_direction_check check (direction in ('in', 'out', 'both')),
  constraint data_exchanges_channel_check check (
    channel in ('open311', 'iot', 'camera', 'webhook', 'file_import', 'other')
  )
);
create unique index data_exchanges_system_idx on data_exchanges (county_code, system, channel);
