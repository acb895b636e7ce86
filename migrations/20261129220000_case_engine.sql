-- The case engine: categories, cases and their event log, units on a case, deadlines, whistles,
-- notifications (outbox), assessment rollups, calendar overrides and settings.

create table categories (
  id text primary key,
  county_code text not null references counties (code),
  parent_id text references categories (id),
  name text not null,
  name_en text not null default '',
  level text not null,
  department_key text,
  default_org_id text references org_units (id),
  urgency text not null default 'normal',
  reply_limit_amount integer not null,
  reply_limit_unit text not null,
  case_types text[] not null default '{appeal}',
  public boolean not null default true,
  keywords text[] not null default '{}',
  active boolean not null default true,
  sort integer not null default 0,
  version integer not null default 1,
  updated_at timestamptz not null default now(),
  constraint categories_level_check check (level in ('village', 'township', 'department', 'county')),
  constraint categories_urgency_check check (urgency in ('normal', 'urgent', 'emergency')),
  constraint categories_unit_check check (reply_limit_unit in ('hours', 'working_hours', 'working_days', 'natural_days')),
  constraint categories_limit_check check (reply_limit_amount > 0)
);
create index categories_parent_idx on categories (county_code, parent_id, sort);

create table cases (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  type text not null,
  code text not null,
  state text not null,
  version integer not null default 1,
  channel text not null,
  category_id text references categories (id),
  urgency text not null default 'normal',
  title text not null,
  description text not null,
  lon double precision,
  lat double precision,
  address text,
  grid_id text references grids (id),
  village_id text references org_units (id),
  township_id text references org_units (id),
  -- Location path (county/township/village/grid): "everything in my jurisdiction" is a prefix query.
  path text not null,
  citizen_id uuid references citizens (id),
  contact_name_enc text,
  contact_phone_enc text,
  contact_phone_masked text,
  anonymous boolean not null default false,
  confidential boolean not null default false,
  reporter_user_id uuid references users (id),
  lead_org_id text references org_units (id),
  routing jsonb not null default '{}'::jsonb,
  supervision_level text not null default 'none',
  merged_into uuid references cases (id),
  redo_count integer not null default 0,
  extension_count integer not null default 0,
  return_count integer not null default 0,
  suspended_at timestamptz,
  suspended_ms bigint not null default 0,
  -- Open requests and remembered states: { extension, suspendedFrom, returnFrom }.
  pending jsonb not null default '{}'::jsonb,
  resolved boolean,
  satisfaction text,
  attachments jsonb not null default '[]'::jsonb,
  idempotency_key text,
  received_at timestamptz not null default now(),
  dispatched_at timestamptz,
  signed_at timestamptz,
  first_contact_at timestamptz,
  replied_at timestamptz,
  closed_at timestamptz,
  search_text text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint cases_code_key unique (county_code, code),
  constraint cases_idempotency_key unique (county_code, idempotency_key),
  constraint cases_urgency_check check (urgency in ('normal', 'urgent', 'emergency')),
  constraint cases_supervision_check check (supervision_level in ('none', 'normal', 'yellow', 'red')),
  constraint cases_satisfaction_check check (satisfaction is null or satisfaction in ('satisfied', 'basically_satisfied', 'unsatisfied'))
);
create index cases_path_idx on cases (county_code, path text_pattern_ops, state);
create index cases_lead_idx on cases (county_code, lead_org_id, state);
create index cases_citizen_idx on cases (county_code, citizen_id, received_at desc);
create index cases_received_idx on cases (county_code, received_at desc);
create index cases_open_category_idx on cases (county_code, category_id, received_at desc) where closed_at is null;

-- Units working on a case: one lead (主办), assisting units (协办), whistled departments (吹哨).
create table case_units (
  case_id uuid not null references cases (id),
  org_id text not null references org_units (id),
  relation text not null,
  county_code text not null references counties (code),
  status text not null default 'assigned',
  assigned_at timestamptz not null default now(),
  signed_at timestamptz,
  replied_at timestamptz,
  reply text,
  constraint case_units_pkey primary key (case_id, org_id, relation),
  constraint case_units_relation_check check (relation in ('lead', 'assist', 'whistled'))
);
create index case_units_org_idx on case_units (county_code, org_id, status);

-- The event log: the history shown to users and the source of every metric.
create table case_events (
  id bigserial primary key,
  case_id uuid not null references cases (id),
  county_code text not null references counties (code),
  seq integer not null,
  action text not null,
  from_state text,
  to_state text not null,
  actor_kind text not null,
  actor_id text,
  actor_org_id text,
  at timestamptz not null default now(),
  payload jsonb not null default '{}'::jsonb,
  constraint case_events_seq_key unique (case_id, seq)
);
create index case_events_at_idx on case_events (county_code, at);

create table case_deadlines (
  id bigserial primary key,
  case_id uuid not null references cases (id),
  county_code text not null references counties (code),
  stage text not null,
  org_id text references org_units (id),
  due_at timestamptz not null,
  warn_at timestamptz,
  status text not null default 'pending',
  escalated_at timestamptz,
  warned_at timestamptz,
  overdue_at timestamptz,
  done_at timestamptz,
  created_at timestamptz not null default now(),
  constraint case_deadlines_status_check check (status in ('pending', 'warned', 'overdue', 'done', 'cancelled'))
);
create index case_deadlines_sweep_idx on case_deadlines (due_at) where status in ('pending', 'warned');
create index case_deadlines_warn_idx on case_deadlines (warn_at) where status = 'pending';
create index case_deadlines_case_idx on case_deadlines (case_id, stage);

create table whistles (
  id uuid primary key default gen_random_uuid(),
  case_id uuid not null references cases (id),
  county_code text not null references counties (code),
  whistler_org_id text not null references org_units (id),
  whistler_user_id uuid references users (id),
  reason_class text not null,
  message text not null,
  created_at timestamptz not null default now(),
  constraint whistles_reason_check check (reason_class in ('resident_demand', 'joint_enforcement', 'emergency'))
);
create index whistles_case_idx on whistles (case_id);

create table whistle_reports (
  whistle_id uuid not null references whistles (id),
  department_id text not null references org_units (id),
  county_code text not null references counties (code),
  status text not null default 'pending',
  due_at timestamptz not null,
  reported_at timestamptz,
  responder text,
  arrival_note text,
  action_taken text,
  done_at timestamptz,
  late boolean not null default false,
  rating integer,
  rating_comment text,
  constraint whistle_reports_pkey primary key (whistle_id, department_id),
  constraint whistle_reports_status_check check (status in ('pending', 'reported', 'done')),
  constraint whistle_reports_rating_check check (rating is null or rating between 1 and 5)
);
create index whistle_reports_dept_idx on whistle_reports (county_code, department_id, status);

-- Notifications double as the transactional outbox: written with the change, delivered after.
create table notifications (
  id bigserial primary key,
  county_code text not null references counties (code),
  recipient_kind text not null,
  recipient_id text not null,
  channel text not null,
  kind text not null,
  case_id uuid references cases (id),
  title text not null,
  body text not null,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  sent_at timestamptz,
  attempts integer not null default 0,
  last_error text,
  constraint notifications_recipient_check check (recipient_kind in ('user', 'org', 'citizen')),
  constraint notifications_channel_check check (channel in ('inapp', 'sms'))
);
create index notifications_inbox_idx on notifications (recipient_kind, recipient_id, created_at desc);
create index notifications_outbox_idx on notifications (created_at) where channel = 'sms' and sent_at is null;

-- Assessment rollups, kept up to date by the engine in the same transaction as each event.
create table assessment_rollups (
  county_code text not null references counties (code),
  day date not null,
  loc_id text not null,
  loc_path text not null,
  unit_id text not null,
  category_root text not null,
  metric text not null,
  value bigint not null default 0,
  constraint assessment_rollups_pkey primary key (county_code, day, loc_id, unit_id, category_root, metric)
);
create index assessment_rollups_path_idx on assessment_rollups (county_code, loc_path text_pattern_ops, day);
create index assessment_rollups_unit_idx on assessment_rollups (county_code, unit_id, day);

create table calendar_overrides (
  county_code text not null references counties (code),
  day date not null,
  working boolean not null,
  note text not null default '',
  constraint calendar_overrides_pkey primary key (county_code, day)
);

create table settings (
  county_code text not null references counties (code),
  key text not null,
  value jsonb not null,
  updated_at timestamptz not null default now(),
  constraint settings_pkey primary key (county_code, key)
);

create table case_sequences (
  county_code text not null references counties (code),
  day text not null,
  last integer not null default 0,
  constraint case_sequences_pkey primary key (county_code, day)
);
