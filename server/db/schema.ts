import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Timestamps come back as Date, go in as Date or ISO string. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface CountiesTable {
  code: string;
  name: string;
  city_code: string;
  city_name: string;
  province_code: string;
  province_name: string;
  created_at: Generated<Date>;
}

export type OrgKind = 'county' | 'township' | 'village' | 'department' | 'centre';

export interface OrgUnitsTable {
  id: string;
  county_code: string;
  parent_id: string | null;
  kind: OrgKind;
  subtype: string | null;
  name: string;
  path: string;
  scope_path: string;
  sort: Generated<number>;
  active: Generated<boolean>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface GeoGeometry {
  type: 'Polygon' | 'MultiPolygon';
  /** Polygon: rings of positions; MultiPolygon: polygons of rings. */
  coordinates: number[][][] | number[][][][];
}

export interface GridsTable {
  id: string;
  county_code: string;
  village_id: string;
  name: string;
  path: string;
  geometry: Json<GeoGeometry>;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  area_m2: number;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  county_code: string;
  username: string;
  display_name: string;
  role: string;
  org_id: string;
  password_hash: string;
  failed_logins: Generated<number>;
  locked_until: Date | null;
  active: Generated<boolean>;
  last_login_at: Date | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface UserGridsTable {
  user_id: string;
  grid_id: string;
  county_code: string;
  created_at: Generated<Date>;
}

export interface CitizensTable {
  id: Generated<string>;
  county_code: string;
  phone_hash: string;
  phone_enc: string;
  phone_masked: string;
  name_enc: string | null;
  id_number_enc: string | null;
  home_org_id: string | null;
  key_id: string;
  created_at: Generated<Date>;
  last_login_at: Date | null;
}

export interface SessionsTable {
  id_hash: string;
  county_code: string;
  user_id: string | null;
  citizen_id: string | null;
  csrf_token: string;
  created_at: Generated<Date>;
  expires_at: Date;
  last_seen_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface OtpCodesTable {
  phone_hash: string;
  county_code: string;
  code_hash: string;
  attempts: Generated<number>;
  created_at: Generated<Date>;
  expires_at: Date;
}

/** Rate-limit counters shared by the app processes on PostgreSQL (`server/http/rate-limit-store.ts`). */
export interface RateLimitsTable {
  key: string;
  hits: number;
  window_end: Date;
}

export interface AuditLogTable {
  id: Generated<number>;
  county_code: string;
  at: Generated<Date>;
  actor_kind: 'staff' | 'citizen' | 'system' | 'anonymous';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: Json<Record<string, unknown>>;
  ip: string | null;
  request_id: string | null;
}

export interface SchemaMigrationsTable {
  version: string;
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export type HandlingLevel = 'village' | 'township' | 'department' | 'county';
export type Urgency = 'normal' | 'urgent' | 'emergency';
export type LimitUnitColumn = 'hours' | 'working_hours' | 'working_days' | 'natural_days';

export interface CategoriesTable {
  id: string;
  county_code: string;
  parent_id: string | null;
  name: string;
  name_en: Generated<string>;
  level: HandlingLevel;
  department_key: string | null;
  default_org_id: string | null;
  urgency: Generated<Urgency>;
  reply_limit_amount: number;
  reply_limit_unit: LimitUnitColumn;
  case_types: ColumnType<string[], string[] | undefined, string[]>;
  public: Generated<boolean>;
  keywords: ColumnType<string[], string[] | undefined, string[]>;
  active: Generated<boolean>;
  sort: Generated<number>;
  version: Generated<number>;
  updated_at: Timestamp;
}

export interface CasePending {
  extension?: { days: number; reason: string; requestedBy: string; requestedAt: string };
  suspendedFrom?: string;
  returnFrom?: string;
  returnReason?: string;
}

export interface CasesTable {
  id: Generated<string>;
  county_code: string;
  type: string;
  code: string;
  state: string;
  version: Generated<number>;
  channel: string;
  category_id: string | null;
  urgency: Generated<Urgency>;
  title: string;
  description: string;
  lon: number | null;
  lat: number | null;
  address: string | null;
  grid_id: string | null;
  village_id: string | null;
  township_id: string | null;
  path: string;
  citizen_id: string | null;
  contact_name_enc: string | null;
  contact_phone_enc: string | null;
  contact_phone_masked: string | null;
  anonymous: Generated<boolean>;
  confidential: Generated<boolean>;
  reporter_user_id: string | null;
  lead_org_id: string | null;
  routing: Json<Record<string, unknown>>;
  supervision_level: Generated<'none' | 'normal' | 'yellow' | 'red'>;
  merged_into: string | null;
  redo_count: Generated<number>;
  extension_count: Generated<number>;
  return_count: Generated<number>;
  suspended_at: Date | null;
  suspended_ms: Generated<number>;
  pending: Json<CasePending>;
  resolved: boolean | null;
  satisfaction: 'satisfied' | 'basically_satisfied' | 'unsatisfied' | null;
  attachments: Json<unknown[]>;
  idempotency_key: string | null;
  received_at: Timestamp;
  dispatched_at: Date | null;
  signed_at: Date | null;
  first_contact_at: Date | null;
  replied_at: Date | null;
  closed_at: Date | null;
  /** When retention removed the citizen's personal data from this closed case. */
  anonymised_at: Date | null;
  search_text: Generated<string>;
  /** The units of case_units, sorted and distinct; kept by triggers on case_units (visibility keys). */
  unit_ids: Generated<string[]>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface CaseUnitsTable {
  case_id: string;
  org_id: string;
  relation: 'lead' | 'assist' | 'whistled';
  county_code: string;
  status: Generated<string>;
  assigned_at: Timestamp;
  signed_at: Date | null;
  replied_at: Date | null;
  reply: string | null;
}

export interface CaseEventsTable {
  id: Generated<number>;
  case_id: string;
  county_code: string;
  seq: number;
  action: string;
  from_state: string | null;
  to_state: string;
  actor_kind: string;
  actor_id: string | null;
  actor_org_id: string | null;
  at: Timestamp;
  payload: Json<Record<string, unknown>>;
}

export type DeadlineStatus = 'pending' | 'warned' | 'overdue' | 'done' | 'cancelled';

export interface CaseDeadlinesTable {
  id: Generated<number>;
  case_id: string;
  county_code: string;
  stage: string;
  org_id: string | null;
  due_at: Date;
  warn_at: Date | null;
  status: Generated<DeadlineStatus>;
  escalated_at: Date | null;
  warned_at: Date | null;
  overdue_at: Date | null;
  done_at: Date | null;
  created_at: Generated<Date>;
}

export interface WhistlesTable {
  id: Generated<string>;
  case_id: string;
  county_code: string;
  whistler_org_id: string;
  whistler_user_id: string | null;
  reason_class: 'resident_demand' | 'joint_enforcement' | 'emergency';
  message: string;
  created_at: Timestamp;
}

export interface WhistleReportsTable {
  whistle_id: string;
  department_id: string;
  county_code: string;
  status: Generated<'pending' | 'reported' | 'done'>;
  due_at: Date;
  reported_at: Date | null;
  responder: string | null;
  arrival_note: string | null;
  action_taken: string | null;
  done_at: Date | null;
  late: Generated<boolean>;
  rating: number | null;
  rating_comment: string | null;
}

export interface NotificationsTable {
  id: Generated<number>;
  county_code: string;
  recipient_kind: 'user' | 'org' | 'citizen';
  recipient_id: string;
  channel: 'inapp' | 'sms';
  kind: string;
  case_id: string | null;
  title: string;
  body: string;
  created_at: Timestamp;
  read_at: Date | null;
  sent_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface AssessmentRollupsTable {
  county_code: string;
  day: ColumnType<string, string, string>;
  loc_id: string;
  loc_path: string;
  unit_id: string;
  category_root: string;
  metric: string;
  value: number;
}

/** The day rollups summed by year, month or day, in the grains of `CoarseGrain` (server/engine/rollups.ts). */
export interface AssessmentRollupsCoarseTable {
  county_code: string;
  span: 'year' | 'month' | 'day';
  grain: 'township' | 'unit' | 'township_unit';
  /** The first day of the span: the day, the first of the month or of January (YYYY-MM-DD). */
  day: ColumnType<string, string, string>;
  /** Cut down to the township (`/county/township/`), or to the county in the `unit` grain. */
  loc_path: string;
  unit_id: string;
  metric: string;
  value: number;
}

export interface CalendarOverridesTable {
  county_code: string;
  day: ColumnType<string, string, string>;
  working: boolean;
  note: Generated<string>;
}

export interface SettingsTable {
  county_code: string;
  key: string;
  value: Json<unknown>;
  updated_at: Timestamp;
}

export interface CaseSequencesTable {
  county_code: string;
  day: string;
  last: number;
}

/** The database as Kysely sees it; one interface per table, snake_case like the SQL. */
export interface AttachmentsTable {
  id: Generated<string>;
  county_code: string;
  case_id: string | null;
  uploader_kind: 'staff' | 'citizen' | 'system';
  uploader_id: string;
  content_type: 'image/jpeg';
  width: number;
  height: number;
  size: number;
  sha256: string;
  data: Buffer;
  thumb: Buffer;
  created_at: Timestamp;
}

/** A patrol track point: longitude, latitude, epoch milliseconds. */
export type PatrolPoint = [number, number, number];

export interface PatrolsTable {
  id: Generated<string>;
  county_code: string;
  user_id: string;
  client_id: string;
  grid_id: string | null;
  path: string;
  started_at: Timestamp;
  ended_at: Date | null;
  points: ColumnType<PatrolPoint[], string | undefined, string>;
  point_count: Generated<number>;
  distance_m: Generated<number>;
  updated_at: Timestamp;
}

/** Bumped by a trigger on every change to a county's grids (routing's cache key). */
export interface GridStampsTable {
  county_code: string;
  version: Generated<number>;
}

export interface DB {
  counties: CountiesTable;
  org_units: OrgUnitsTable;
  grids: GridsTable;
  grid_stamps: GridStampsTable;
  users: UsersTable;
  user_grids: UserGridsTable;
  citizens: CitizensTable;
  sessions: SessionsTable;
  otp_codes: OtpCodesTable;
  rate_limits: RateLimitsTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
  categories: CategoriesTable;
  cases: CasesTable;
  case_units: CaseUnitsTable;
  case_events: CaseEventsTable;
  case_deadlines: CaseDeadlinesTable;
  whistles: WhistlesTable;
  whistle_reports: WhistleReportsTable;
  notifications: NotificationsTable;
  assessment_rollups: AssessmentRollupsTable;
  assessment_rollups_coarse: AssessmentRollupsCoarseTable;
  calendar_overrides: CalendarOverridesTable;
  settings: SettingsTable;
  case_sequences: CaseSequencesTable;
  iot_devices: IotDevicesTable;
  iot_alarm_rules: IotAlarmRulesTable;
  iot_alarms: IotAlarmsTable;
  iot_device_cases: IotDeviceCasesTable;
  iot_nonces: IotNoncesTable;
  iot_rejections: IotRejectionsTable;
  attachments: AttachmentsTable;
  patrols: PatrolsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  data_exchanges: DataExchangesTable;
  open311_api_keys: Open311ApiKeysTable;
  open311_requests: Open311RequestsTable;
  open311_request_updates: Open311RequestUpdatesTable;
}

export type OrgUnit = Selectable<OrgUnitsTable>;
export type NewOrgUnit = Insertable<OrgUnitsTable>;
export type Grid = Selectable<GridsTable>;
export type User = Selectable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Citizen = Selectable<CitizensTable>;
export type CaseRow = Selectable<CasesTable>;
export type Category = Selectable<CategoriesTable>;

/** Case events another system may subscribe to (outbound webhooks). */
export type WebhookEvent = 'case.created' | 'case.dispatched' | 'case.replied' | 'case.closed';
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface WebhookSubscriptionsTable {
  id: Generated<string>;
  county_code: string;
  name: string;
  system: string;
  url: string;
  secret_enc: string;
  events: WebhookEvent[];
  active: Generated<boolean>;
  version: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  county_code: string;
  subscription_id: string;
  event: WebhookEvent | 'ping';
  case_event_id: number | null;
  case_id: string | null;
  payload: Json<Record<string, unknown>>;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Timestamp;
}

export type ExchangeDirection = 'in' | 'out' | 'both';
export type ExchangeChannel = 'open311' | 'iot' | 'camera' | 'webhook' | 'file_import' | 'other';

export interface DataExchangesTable {
  id: Generated<string>;
  county_code: string;
  system: string;
  direction: ExchangeDirection;
  data_items: string[];
  channel: ExchangeChannel;
  legal_basis: Generated<string>;
  contact: Generated<string>;
  note: Generated<string>;
  active: Generated<boolean>;
  version: Generated<number>;
  updated_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** IoT device types (设备类型); cameras are devices too. */
export type IotDeviceType =
  | 'smart_toilet'
  | 'environment_sensor'
  | 'gas_sensor'
  | 'smoke_sensor'
  | 'water_level'
  | 'manhole_cover'
  | 'camera';

export interface IotDevicesTable {
  id: Generated<string>;
  county_code: string;
  code: string;
  type: IotDeviceType;
  name: string;
  lon: number;
  lat: number;
  grid_id: string | null;
  village_id: string | null;
  township_id: string | null;
  path: string;
  owner_org_id: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_until: Date | null;
  heartbeat_interval_s: Generated<number>;
  last_seen_at: Date | null;
  offline_at: Date | null;
  status: Generated<'active' | 'inactive'>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface IotAlarmRulesTable {
  id: Generated<string>;
  county_code: string;
  device_type: IotDeviceType;
  alarm_type: string;
  label: string;
  min_level: Generated<number>;
  category_id: string;
  case_type: Generated<'event'>;
  urgency: Urgency;
  recovery_closes: Generated<boolean>;
  active: Generated<boolean>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export type IotAlarmOutcome =
  | 'received'
  | 'opened'
  | 'folded'
  | 'recovered'
  | 'closed'
  | 'recorded'
  | 'ignored';

export interface IotAlarmsTable {
  id: Generated<string>;
  county_code: string;
  device_id: string;
  kind: 'alarm' | 'recovery';
  alarm_type: string;
  level: number | null;
  value: string | null;
  message: string | null;
  lon: number | null;
  lat: number | null;
  device_at: Timestamp;
  received_at: Timestamp;
  nonce: string;
  via: 'mqtt' | 'http' | 'camera' | 'monitor';
  rule_id: string | null;
  case_id: string | null;
  outcome: Generated<IotAlarmOutcome>;
  attachment_id: string | null;
  note: string | null;
  claimed_at: Date | null;
}

export interface IotDeviceCasesTable {
  device_id: string;
  alarm_type: string;
  county_code: string;
  episode: Generated<number>;
  opener_alarm_id: string;
  case_id: string | null;
  updated_at: Timestamp;
}

export interface IotNoncesTable {
  device_id: string;
  nonce: string;
  county_code: string;
  seen_at: Timestamp;
}

export type IotRejectionReason =
  | 'unknown_device'
  | 'inactive_device'
  | 'bad_signature'
  | 'replayed'
  | 'stale'
  | 'malformed'
  | 'not_camera';

export interface IotRejectionsTable {
  id: Generated<number>;
  county_code: string;
  received_at: Timestamp;
  via: 'mqtt' | 'http' | 'camera';
  reason: IotRejectionReason;
  device_code: string | null;
  device_id: string | null;
  source: string | null;
  detail: Json<Record<string, unknown>>;
}

/** An API key of a system that talks Open311 to the county (only the key's SHA-256 is stored). */
export interface Open311ApiKeysTable {
  id: Generated<string>;
  county_code: string;
  name: string;
  system: string;
  key_hash: string;
  key_prefix: string;
  created_by: string | null;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** What an Open311 request brought beyond its case: token, posting key, client account, e-mail. */
export interface Open311RequestsTable {
  case_id: string;
  county_code: string;
  api_key_id: string;
  token: string;
  service_code: string;
  account_id: string | null;
  email_enc: string | null;
  client_media_url: string | null;
  attributes: Json<Record<string, string | string[]>>;
  created_at: Generated<Date>;
}

/** An update an Open311 client posted about one of its requests (servicerequestupdates). */
export interface Open311RequestUpdatesTable {
  id: Generated<number>;
  county_code: string;
  case_id: string;
  api_key_id: string;
  client_update_id: string;
  status: string;
  description: Generated<string>;
  client_media_url: string | null;
  updated_at_client: Date | string;
  created_at: Generated<Date>;
}
