import path from 'node:path';

/** Runtime configuration, read once from the environment. */
export interface Config {
  /** HTTP port for the web UI and API. */
  port: number;
  host: string;
  /** Folder for the embedded database, secrets and uploads. */
  dataDir: string;
  /** When set, use this PostgreSQL server instead of the embedded PGlite. */
  databaseUrl: string | undefined;
  /** The county this deployment serves (GB/T 2260 code). */
  countyCode: string;
  /** Master secret for field encryption; generated into the data folder when absent. */
  secret: string | undefined;
  /** Where the built web UI lives. */
  webDir: string;
  logLevel: string;
  /** `development` prints one-time codes to the log instead of sending SMS. */
  env: 'development' | 'production' | 'test';
  /** Absolute session lifetime (`SESSION_TTL_HOURS`, default 12): no session outlives it. */
  sessionTtlHours: number;
  /** Idle limit (`SESSION_IDLE_MINUTES`, default 120): a session unused this long is over. */
  sessionIdleMinutes: number;
  /**
   * Send `Strict-Transport-Security` (`HSTS=1`): only when the site is served over TLS (directly or
   * behind a TLS-terminating proxy) — on plain HTTP it would lock browsers out of the site.
   */
  hsts: boolean;
  /**
   * Days after a case closes before the citizen's personal data on it is anonymised
   * (`RETENTION_DAYS`, default 1095 = three years); 0 turns the retention job off.
   */
  retentionDays: number;
  /** MQTT broker of the IoT bridge (`MQTT_URL`); unset leaves the bridge off. */
  mqttUrl: string | undefined;
  /** First topic level of device topics (`MQTT_TOPIC_PREFIX`, default `gongzhi`). */
  mqttTopicPrefix: string;
  /**
   * Raster map tiles under the grid drawings (`MAP_TILE_URL`, `{z}/{x}/{y}` placeholders, e.g. a
   * Tianditu or in-house tile server); unset draws the grids' GeoJSON alone (no internet needed).
   */
  mapTileUrl: string | undefined;
  /** Credit line shown under tiled maps (`MAP_TILE_ATTRIBUTION`). */
  mapTileAttribution: string;
}

/** Reads configuration from environment variables with documented defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT 无效 (invalid PORT): ${env.PORT}`);
  }
  const nodeEnv =
    env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    countyCode: env.COUNTY_CODE ?? '360121',
    secret: env.GONGZHI_SECRET || undefined,
    webDir: path.resolve(env.WEB_DIR ?? './dist/web'),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    env: nodeEnv,
    sessionTtlHours: Number(env.SESSION_TTL_HOURS ?? 12),
    sessionIdleMinutes: positiveNumber('SESSION_IDLE_MINUTES', env.SESSION_IDLE_MINUTES, 120),
    hsts: env.HSTS === '1',
    retentionDays: positiveNumber('RETENTION_DAYS', env.RETENTION_DAYS, 1095, true),
    mqttUrl: env.MQTT_URL || undefined,
    mqttTopicPrefix: env.MQTT_TOPIC_PREFIX || 'gongzhi',
    mapTileUrl: tileUrl(env.MAP_TILE_URL),
    mapTileAttribution: env.MAP_TILE_ATTRIBUTION ?? '',
  };
}

function positiveNumber(name: string, value: string | undefined, fallback: number, zeroOk = false): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && !zeroOk))
    throw new Error(`${name} 无效，需为${zeroOk ? '非负' : '正'}整数 (invalid ${name}): ${value}`);
  return n;
}

/** A tile URL template must be http(s) and hold {z}, {x} and {y}; anything else is a start-up error. */
function tileUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/^https?:\/\//.test(value) || !['{z}', '{x}', '{y}'].every((p) => value.includes(p)))
    throw new Error(`MAP_TILE_URL 无效，需为含 {z} {x} {y} 的 http(s) 地址 (invalid MAP_TILE_URL): ${value}`);
  return value;
}
