-- Foundation: counties, the org tree, grids, staff, citizens, sessions, one-time codes, audit log.
-- Every table holding county data carries county_code: the distribution column when a province
-- runs on Citus (docs/ARCHITECTURE.md, "Scale path").

create table counties (
  code text primary key,
  name text not null,
  city_code text not null,
  city_name text not null,
  province_code text not null,
  province_name text not null,
  created_at timestamptz not null default now(),
  constraint counties_code_format check (code ~ '^[0-9]{6}$')
);

create table org_units (
  id text primary key,
  county_code text not null references counties (code),
  parent_id text references org_units (id),
  kind text not null,
  subtype text,
  name text not null,
  -- Materialised territorial path, e.g. '/360121/360121100/360121100201/'; a prefix query finds a subtree.
  path text not null,
  -- What staff of this unit may see: a centre sees its territory, a department itself.
  scope_path text not null,
  sort integer not null default 0,
  active boolean not null default true,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint org_units_kind_check check (kind in ('county', 'township', 'village', 'department', 'centre')),
  constraint org_units_name_check check (char_length(name) between 1 and 100),
  constraint org_units_path_check check (path like '/%/')
);
create index org_units_path_idx on org_units (county_code, path text_pattern_ops);
create index org_units_parent_idx on org_units (parent_id, sort);
create index org_units_kind_idx on org_units (county_code, kind);

create table grids (
  id text primary key,
  county_code text not null references counties (code),
  village_id text not null references org_units (id),
  name text not null,
  path text not null,
  geometry jsonb not null,
  min_lon double precision not null,
  min_lat double precision not null,
  max_lon double precision not null,
  max_lat double precision not null,
  area_m2 double precision not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint grids_code_format check (id ~ '^[0-9]{15}$'),
  constraint grids_name_check check (char_length(name) between 1 and 100)
);
create index grids_path_idx on grids (county_code, path text_pattern_ops);
create index grids_village_idx on grids (village_id, id);

create table users (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  username text not null,
  display_name text not null,
  role text not null,
  org_id text not null references org_units (id),
  password_hash text not null,
  failed_logins integer not null default 0,
  locked_until timestamptz,
  active boolean not null default true,
  last_login_at timestamptz,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_username_key unique (username),
  constraint users_username_format check (username ~ '^[a-z0-9_.-]{3,40}$')
);
create index users_org_idx on users (county_code, org_id);

-- Grid workers and cadres are assigned to grids (民情连心桥).
create table user_grids (
  user_id uuid not null references users (id) on delete cascade,
  grid_id text not null references grids (id) on delete cascade,
  county_code text not null references counties (code),
  created_at timestamptz not null default now(),
  constraint user_grids_pkey primary key (user_id, grid_id)
);
create index user_grids_grid_idx on user_grids (grid_id);

-- Citizens' phone and ID numbers are encrypted (AES-256-GCM); phone_hash is a keyed HMAC for lookup.
create table citizens (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  phone_hash text not null,
  phone_enc text not null,
  phone_masked text not null,
  name_enc text,
  id_number_enc text,
  home_org_id text references org_units (id),
  key_id text not null,
  created_at timestamptz not null default now(),
  last_login_at timestamptz,
  constraint citizens_phone_key unique (county_code, phone_hash)
);
create index citizens_home_idx on citizens (county_code, home_org_id);

create table sessions (
  id_hash text primary key,
  county_code text not null references counties (code),
  user_id uuid references users (id) on delete cascade,
  citizen_id uuid references citizens (id) on delete cascade,
  csrf_token text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now(),
  ip text,
  user_agent text,
  constraint sessions_subject_check check ((user_id is null) <> (citizen_id is null))
);
create index sessions_expiry_idx on sessions (expires_at);

create table otp_codes (
  phone_hash text not null,
  county_code text not null references counties (code),
  code_hash text not null,
  attempts integer not null default 0,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  constraint otp_codes_pkey primary key (county_code, phone_hash)
);

-- Append-only: the trigger below refuses update and delete for every database role the app uses.
create table audit_log (
  id bigserial primary key,
  county_code text not null references counties (code),
  at timestamptz not null default now(),
  actor_kind text not null,
  actor_id text,
  action text not null,
  target_type text,
  target_id text,
  detail jsonb not null default '{}'::jsonb,
  ip text,
  request_id text,
  constraint audit_log_actor_kind_check check (actor_kind in ('staff', 'citizen', 'system', 'anonymous'))
);
create index audit_log_target_idx on audit_log (county_code, target_type, target_id, at);
create index audit_log_actor_idx on audit_log (county_code, actor_id, at);

create function audit_log_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'audit_log is append-only' using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
