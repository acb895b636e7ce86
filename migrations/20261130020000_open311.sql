-- Open311 GeoReport v2 (/open311/v2/): API keys of the systems that post requests, what each
-- request brought beyond the case itself (token, client account, e-mail), and the updates clients
-- post through the servicerequestupdates extension. Services are the public categories
-- (categories.public); no column is needed for that.

-- Keys are shown once when issued; only their SHA-256 is kept (a 256-bit random key needs no slow
-- hash). The prefix is what admins see to tell keys apart.
create table open311_api_keys (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  name text not null,
  -- Who uses the key: the client system, e.g. "FixMyStreet 南昌县站点".
  system text not null,
  key_hash text not null,
  key_prefix text not null,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz,
  constraint open311_api_keys_hash_key unique (key_hash),
  constraint open311_api_keys_name_check check (length(name) between 1 and 100),
  constraint open311_api_keys_system_check check (length(system) between 1 and 100)
);
create index open311_api_keys_county_idx on open311_api_keys (county_code, created_at desc);

-- One row per case received through Open311. The case itself lives in `cases` (channel 'open311');
-- this keeps the token a client polls, the key that posted it and what the case has no column for.
create table open311_requests (
  case_id uuid primary key references cases (id),
  county_code text not null references counties (code),
  api_key_id uuid not null references open311_api_keys (id),
  -- Random and unguessable: GET tokens/{token} answers the service_request_id.
  token text not null,
  service_code text not null,
  -- The client's own id of the reporter's account, echoed back as the spec asks.
  account_id text,
  -- Personal data: encrypted like every contact (keyId:iv:tag:ciphertext), shown to no client.
  email_enc text,
  -- A link to media the client hosts itself (never fetched by the server).
  client_media_url text,
  attributes jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint open311_requests_token_key unique (token)
);
create index open311_requests_key_idx on open311_requests (api_key_id, created_at);

-- Updates a client posts about its own requests (the reporter's comment, "fixed" from their side).
-- They notify the handling unit; the case changes only through the engine.
create table open311_request_updates (
  id bigint generated always as identity primary key,
  county_code text not null references counties (code),
  case_id uuid not null references cases (id),
  api_key_id uuid not null references open311_api_keys (id),
  -- The client's id of the update: a retry of one update is stored once.
  client_update_id text not null,
  status text not null,
  description text not null default '',
  client_media_url text,
  updated_at_client timestamptz not null,
  created_at timestamptz not null default now(),
  constraint open311_request_updates_client_key unique (api_key_id, client_update_id)
);
create index open311_request_updates_case_idx on open311_request_updates (case_id, created_at);
