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

/** The database as Kysely sees it; one interface per table, snake_case like the SQL. */
export interface DB {
  counties: CountiesTable;
  org_units: OrgUnitsTable;
  grids: GridsTable;
  users: UsersTable;
  user_grids: UserGridsTable;
  citizens: CitizensTable;
  sessions: SessionsTable;
  otp_codes: OtpCodesTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
}

export type OrgUnit = Selectable<OrgUnitsTable>;
export type NewOrgUnit = Insertable<OrgUnitsTable>;
export type Grid = Selectable<GridsTable>;
export type User = Selectable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Citizen = Selectable<CitizensTable>;
