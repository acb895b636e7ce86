-- IoT alarms and AI-camera events (DESIGN §5, issue #5 parts 2 and 3): the device registry with
-- per-device signing secrets, the rules that turn an alarm type and level into a case, every alarm
-- received (and the case it opened or was folded into), the open case per device and alarm type,
-- seen nonces (replay protection) and the log of refused messages.

create table iot_devices (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  -- The device's own code: in MQTT topics and the X-Device-Id header.
  code text not null,
  type text not null,
  name text not null,
  lon double precision not null,
  lat double precision not null,
  -- Resolved by routing at registration (and when the position changes).
  grid_id text references grids (id),
  village_id text references org_units (id),
  township_id text references org_units (id),
  -- Location path (county/township/village/grid): who may see the device is a prefix query.
  path text not null,
  -- The unit that looks after the device (usually a county department).
  owner_org_id text not null references org_units (id),
  -- The HMAC signing secret, encrypted with the field cipher (keyId:iv:tag:ciphertext); shown once.
  secret_enc text not null,
  -- After a rotation the old secret is still accepted until previous_secret_until (reconfiguring
  -- a device in the field takes time; alarms must not be lost meanwhile).
  previous_secret_enc text,
  previous_secret_until timestamptz,
  heartbeat_interval_s integer not null default 300,
  -- Server time of the last valid signed message (heartbeat, alarm or recovery).
  last_seen_at timestamptz,
  -- Set by the heartbeat monitor when it claims the device as offline; cleared by the next message.
  offline_at timestamptz,
  status text not null default 'active',
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint iot_devices_code_key unique (county_code, code),
  constraint iot_devices_code_check check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$'),
  constraint iot_devices_type_check check (
    type in ('smart_toilet', 'environment_sensor', 'gas_sensor', 'smoke_sensor', 'water_level',
             'manhole_cover', 'camera')
  ),
  constraint iot_devices_status_check check (status in ('active', 'inactive')),
  constraint iot_devices_interval_check check (heartbeat_interval_s between 10 and 86400),
  constraint iot_devices_position_check check (lon between -180 and 180 and lat between -90 and 90)
);
create index iot_devices_path_idx on iot_devices (county_code, path text_pattern_ops);
create index iot_devices_owner_idx on iot_devices (county_code, owner_org_id);
create index iot_devices_heartbeat_idx on iot_devices (last_seen_at)
  where status = 'active' and offline_at is null and last_seen_at is not null;

-- Device type + alarm type + lowest level → what case to raise. The rule with the highest min_level
-- not above the alarm's level applies.
create table iot_alarm_rules (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  device_type text not null,
  alarm_type text not null,
  -- Chinese name of the alarm, used in case titles (烟雾报警).
  label text not null,
  min_level integer not null default 1,
  category_id text not null references categories (id),
  case_type text not null default 'event',
  urgency text not null,
  -- Whether a recovery message closes the case the alarm opened.
  recovery_closes boolean not null default false,
  active boolean not null default true,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint iot_alarm_rules_key unique (county_code, device_type, alarm_type, min_level),
  constraint iot_alarm_rules_device_type_check check (
    device_type in ('smart_toilet', 'environment_sensor', 'gas_sensor', 'smoke_sensor', 'water_level',
                    'manhole_cover', 'camera')
  ),
  constraint iot_alarm_rules_alarm_type_check check (alarm_type ~ '^[a-z][a-z0-9_]{1,39}$'),
  constraint iot_alarm_rules_level_check check (min_level between 1 and 5),
  constraint iot_alarm_rules_case_type_check check (case_type in ('event')),
  constraint iot_alarm_rules_urgency_check check (urgency in ('normal', 'urgent', 'emergency'))
);

-- Every alarm and recovery accepted from a device (or raised by the heartbeat monitor), with what
-- became of it. This is also the record of repeats folded into an open case.
create table iot_alarms (
  id uuid primary key default gen_random_uuid(),
  county_code text not null references counties (code),
  device_id uuid not null references iot_devices (id),
  kind text not null,
  alarm_type text not null,
  level integer,
  -- The reading as the device sent it (a number's text or a string).
  value text,
  message text,
  -- Where the alarm was seen, when not where the device stands (a camera's target).
  lon double precision,
  lat double precision,
  -- The device's own time of the alarm; received_at is the server's.
  device_at timestamptz not null,
  received_at timestamptz not null,
  nonce text not null,
  via text not null,
  rule_id uuid references iot_alarm_rules (id),
  case_id uuid references cases (id),
  -- received: stored, not yet resolved (a crash here is resumed by the monitor);
  -- opened / folded: made or joined a case; recovered: a recovery noted on the open case;
  -- closed: a recovery that closed it; recorded: nothing open to act on; ignored: no rule applies.
  outcome text not null default 'received',
  -- A camera's snapshot (attachments.id); not a foreign key: the snapshot of an ignored event is
  -- an upload no case takes, removed by the attachments sweep.
  attachment_id uuid,
  note text,
  -- When a monitor last claimed this alarm to finish it (conditional update).
  claimed_at timestamptz,
  constraint iot_alarms_nonce_key unique (device_id, nonce),
  constraint iot_alarms_kind_check check (kind in ('alarm', 'recovery')),
  constraint iot_alarms_via_check check (via in ('mqtt', 'http', 'camera', 'monitor')),
  constraint iot_alarms_level_check check (level is null or level between 1 and 5),
  constraint iot_alarms_outcome_check check (
    outcome in ('received', 'opened', 'folded', 'recovered', 'closed', 'recorded', 'ignored')
  )
);
create index iot_alarms_device_idx on iot_alarms (device_id, received_at desc);
create index iot_alarms_case_idx on iot_alarms (case_id, received_at) where case_id is not null;
create index iot_alarms_unfinished_idx on iot_alarms (received_at) where outcome = 'received';

-- The case each (device, alarm type) folds into. A new episode starts when its case has ended; the
-- case of an episode is received with the idempotency key of its first alarm, so any process can
-- finish opening it and there is never a second one.
create table iot_device_cases (
  device_id uuid not null references iot_devices (id),
  alarm_type text not null,
  county_code text not null references counties (code),
  episode integer not null default 1,
  opener_alarm_id uuid not null references iot_alarms (id),
  case_id uuid references cases (id),
  updated_at timestamptz not null default now(),
  constraint iot_device_cases_pkey primary key (device_id, alarm_type)
);

-- Nonces seen within the time window (replay protection for every signed message).
create table iot_nonces (
  device_id uuid not null references iot_devices (id),
  nonce text not null,
  county_code text not null references counties (code),
  seen_at timestamptz not null,
  constraint iot_nonces_pkey primary key (device_id, nonce)
);
create index iot_nonces_seen_idx on iot_nonces (seen_at);

-- Messages refused: unknown device, bad signature, replay, stale time, malformed. For admins.
create table iot_rejections (
  id bigint generated always as identity primary key,
  county_code text not null references counties (code),
  received_at timestamptz not null,
  via text not null,
  reason text not null,
  -- As claimed by the sender (topic or header); device_id when it names a registered device.
  device_code text,
  device_id uuid references iot_devices (id),
  -- The MQTT topic or the client address.
  source text,
  detail jsonb not null default '{}'::jsonb,
  constraint iot_rejections_via_check check (via in ('mqtt', 'http', 'camera')),
  constraint iot_rejections_reason_check check (
    reason in ('unknown_device', 'inactive_device', 'bad_signature', 'replayed', 'stale', 'malformed',
               'not_camera')
  )
);
create index iot_rejections_county_idx on iot_rejections (county_code, received_at desc);
