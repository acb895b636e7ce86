import { ROLE_LABELS } from '../common/roles.ts';
import { createContext } from './bootstrap.ts';
import type { AppContext } from './context.ts';
import { startControlSocket } from './db/backup.ts';
import { type AppState, buildApp } from './http/app.ts';
import { startWorker } from './jobs/worker.ts';
import type { Config } from './lib/config.ts';
import { createLogger } from './lib/logger.ts';
import { DEMO_PASSWORD, type DemoLogin, seedDemoCounty, seedDemoHistory } from './modules/demo/demo.seed.ts';
import { startMqttBridge } from './modules/iot/mqtt.bridge.ts';

export interface RunningServer {
  url: string;
  ctx: AppContext;
  close(): Promise<void>;
}

/**
 * Starts the platform: database (locked, migrated), demo county on first start, then the web UI and
 * API on one port. Health answers 503 until everything is ready.
 */
export async function startServer(
  config: Config,
  opts: { seedDemo?: boolean; quiet?: boolean } = {},
): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  const ctx = await createContext(config, { log });
  const state: AppState = { ready: false };
  const app = await buildApp(ctx, state);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await ctx.database.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  let logins: DemoLogin[] = [];
  let freshDemo = false;
  if (opts.seedDemo !== false) {
    const seeded = await seedDemoCounty(ctx);
    logins = seeded.logins;
    freshDemo = seeded.created;
    if (seeded.created) log.info({ county: config.countyCode }, 'demo county loaded');
  }
  const control = config.databaseUrl ? undefined : startControlSocket(ctx.database, config.dataDir);
  // IoT alarms over MQTT only when a broker is configured (MQTT_URL).
  const mqtt = config.mqttUrl ? await startMqttBridge(ctx) : undefined;
  let worker: ReturnType<typeof startWorker> | undefined;
  const startSweeps = () => {
    if (process.env.WORKER !== '0') worker = startWorker(ctx);
  };
  // A fresh demo county gets a year of history in the background, played through the engine on its
  // own simulated clock (a copy of the context); the real-time sweep starts once it is done, so it
  // never judges the simulated past by today's clock.
  const history = freshDemo
    ? seedDemoHistory({ ...ctx }).finally(startSweeps)
    : Promise.resolve(startSweeps());
  state.ready = true;
  if (!opts.quiet) printBanner(url, ctx, logins);
  let closing: Promise<void> | undefined;
  return {
    url,
    ctx,
    close() {
      closing ??= (async () => {
        control?.close();
        // A history still being generated is abandoned (its cases so far stay; a restart does not redo it).
        history.catch(() => {});
        await worker?.stop();
        await mqtt?.stop();
        await app.close();
        await ctx.database.close();
      })();
      return closing;
    },
  };
}

function printBanner(url: string, ctx: AppContext, logins: DemoLogin[]) {
  const lines = [
    '',
    '  共治 Gongzhi 已启动 / is running',
    `  网页与接口 Web UI & API : ${url}`,
    `  接口文档 API docs       : ${url}/docs`,
    `  数据库 Database         : ${ctx.database.engine === 'pglite' ? `PGlite (${ctx.config.dataDir})` : 'PostgreSQL (DATABASE_URL)'}`,
  ];
  if (logins.length) {
    lines.push('', `  演示账号 Demo logins (密码 password: ${DEMO_PASSWORD})`);
    for (const l of logins) {
      lines.push(`    ${l.username.padEnd(20)} ${ROLE_LABELS[l.role].padEnd(8, '　')} ${l.orgName}`);
    }
    lines.push(
      '',
      '  群众登录 Citizens: 手机号 + 验证码（开发模式下验证码打印在日志中 / the code is printed in the log）',
    );
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}
