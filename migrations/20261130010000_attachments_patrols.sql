-- Photos (attachments) and grid workers' patrol tracks.
--
-- Photos are stored re-encoded (EXIF and GPS position removed) in the database itself, so that a
-- backup holds everything and any app process can serve them. An upload belongs to its uploader
-- until a case takes it; then the case decides who may see it.
create table attachments (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  case_id uuid references cases (id),
  uploader_kind text not null,
  uploader_id text not null,
  content_type text not null,
  width integer not null,
  height integer not null,
  size integer not null,
  -- Of the bytes as received: the same photo sent twice (an offline retry) is stored once.
  sha256 text not null,
  data bytea not null,
  thumb bytea not null,
  created_at timestamptz not null default now(),
  constraint attachments_uploader_check check (uploader_kind in ('staff', 'citizen', 'system')),
  constraint attachments_type_check check (content_type in ('image/jpeg')),
  constraint attachments_size_check check (size > 0 and width > 0 and height > 0)
);
create index attachments_case_idx on attachments (case_id, created_at) where case_id is not null;
create unique index attachments_pending_idx
  on attachments (county_code, uploader_kind, uploader_id, sha256) where case_id is null;
create index attachments_orphan_idx on attachments (created_at) where case_id is null;

-- A patrol (巡查): when a grid worker walked, where, and how far. Points are [lon, lat, epoch ms].
create table patrols (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  user_id uuid not null references users (id),
  -- The device's own id for the patrol: a start sent twice from the offline queue makes one patrol.
  client_id text not null,
  grid_id text references grids (id),
  -- Territorial path of the grid (or of the worker's unit): who may see the track.
  path text not null,
  started_at timestamptz not null,
  ended_at timestamptz,
  points jsonb not null default '[]'::jsonb,
  point_count integer not null default 0,
  distance_m double precision not null default 0,
  updated_at timestamptz not null default now(),
  constraint patrols_time_check check (ended_at is null or ended_at >= started_at)
);
create unique index patrols_client_idx on patrols (county_code, user_id, client_id);
create index patrols_user_idx on patrols (user_id, started_at desc);
create index patrols_path_idx on patrols (county_code, path text_pattern_ops, started_at desc);
