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
  sessionTtlHours: number;
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
  };
}
