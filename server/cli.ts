import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { isStaffRole, STAFF_ROLES } from '../common/roles.ts';
import { systemActor } from './authz/actor.ts';
import { createContext } from './bootstrap.ts';
import { backupEmbedded, restoreEmbedded } from './db/backup.ts';
import { FolderLockedError } from './db/lock.ts';
import { describeSchema, SNAPSHOT_FILE } from './db/snapshot.ts';
import { loadConfig } from './lib/config.ts';
import { keyFilePath } from './lib/crypto.ts';
import { AppError } from './lib/errors.ts';
import { startServer } from './main.ts';
import { generateDemoHistory } from './modules/demo/demo.history.ts';
import { countyLoaded, seedDemoCounty, seedDemoHistory } from './modules/demo/demo.seed.ts';
import { registerIotCommands } from './modules/iot/iot.cli.ts';
import { registerApiKeyCommands } from './modules/open311/apikeys.cli.ts';
import { importGridsFile, importOrgsFile } from './modules/orgs/orgs.import.ts';
import { registerPrivacyCommands } from './modules/privacy/privacy.cli.ts';
import { createUser } from './modules/users/users.service.ts';

const program = new Command();
program
  .name('gongzhi')
  .description('共治 Gongzhi — 县域基层社会治理平台 / grassroots social governance platform')
  .showHelpAfterError('（使用 --help 查看用法 / use --help for usage）');

async function withContext<T>(
  fn: (ctx: Awaited<ReturnType<typeof createContext>>) => Promise<T>,
): Promise<T> {
  const ctx = await createContext(loadConfig());
  try {
    return await fn(ctx);
  } finally {
    await ctx.database.close();
  }
}

program
  .command('start')
  .description('启动平台：迁移数据库、首次启动时载入演示县，并在同一端口提供网页与接口 / start the platform')
  .option('--no-demo', '不载入演示县 / do not load the demo county')
  .action(async (opts: { demo: boolean }) => {
    const server = await startServer(loadConfig(), { seedDemo: opts.demo });
    const stop = async (signal: string) => {
      server.ctx.log.info({ signal }, 'shutting down');
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('应用尚未执行的数据库迁移 / apply pending migrations')
  .action(async () => {
    await withContext(async () => {
      console.log('数据库已是最新 / database is up to date');
    });
  });

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`须为非负整数 / not a non-negative integer: ${v}`);
  return n;
}

program
  .command('seed')
  .description('载入演示数据 / load demo data')
  .option('--demo', '载入演示县（南昌县）/ load the demo county')
  .option(
    '--history <n>',
    '经办理引擎追加 n 件过去一年的演示诉求（另加约 n/6 件网格事件）/ add n appeals of demo history through the engine',
    nonNegativeInt,
  )
  .option('--seed <n>', '历史生成的随机种子（默认取现有工单数）/ PRNG seed of the history', nonNegativeInt)
  .action(async (opts: { demo?: boolean; history?: number; seed?: number }) => {
    if (!opts.demo && opts.history === undefined) {
      throw new InvalidArgumentError('请指定 --demo 或 --history <n> / pass --demo or --history <n>');
    }
    await withContext(async (ctx) => {
      if (opts.demo) {
        const r = await seedDemoCounty(ctx);
        if (r.created) await seedDemoHistory(ctx);
        console.log(
          r.created
            ? `演示县已载入 / demo county loaded (${ctx.config.countyCode})`
            : '演示县已存在，未做改动 / already loaded',
        );
      }
      if (opts.history !== undefined) {
        if (!(await countyLoaded(ctx))) {
          throw new InvalidArgumentError(
            '请先载入演示县（seed --demo）/ load the demo county first (seed --demo)',
          );
        }
        // Each run continues from the data already there unless a seed is given.
        const existing = await ctx.database.db
          .selectFrom('cases')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('county_code', '=', ctx.config.countyCode)
          .executeTakeFirstOrThrow();
        const r = await generateDemoHistory(ctx, {
          cases: opts.history,
          days: 365,
          seed: opts.seed ?? Number(existing.n) + 1,
        });
        console.log(
          `已追加演示历史 / demo history added: ${r.appeals} 件诉求 appeals, ${r.events} 件事件 events, ` +
            `办结率 closure ${(r.closureRate * 100).toFixed(1)} %, 满意率 satisfaction ${(r.satisfactionRate * 100).toFixed(1)} %, ` +
            `${(r.ms / 1000).toFixed(1)} s`,
        );
        if (r.failures)
          console.error(`${r.failures} 件工单脚本中途出错，见日志 / case scripts stopped, see the log`);
      }
    });
  });

const imp = program.command('import').description('导入真实县区数据 / import a real county’s data');
imp
  .command('orgs <csv>')
  .description('导入组织架构 CSV（列：code,name,kind,parent_code,subtype）；有任何错误则整体不导入')
  .option('--dry-run', '只校验不写入 / validate only')
  .action(async (file: string, opts: { dryRun?: boolean }) => {
    await withContext(async (ctx) =>
      report(await importOrgsFile(ctx, systemActor(ctx.config.countyCode), file, opts)),
    );
  });
imp
  .command('grids <geojson>')
  .description(
    '导入网格 GeoJSON（FeatureCollection，properties.code 为 15 位网格编码）；有任何错误则整体不导入',
  )
  .option('--dry-run', '只校验不写入 / validate only')
  .action(async (file: string, opts: { dryRun?: boolean }) => {
    await withContext(async (ctx) =>
      report(await importGridsFile(ctx, systemActor(ctx.config.countyCode), file, opts)),
    );
  });

function report(r: { imported: number; errors: { line: number; reason: string }[]; dryRun: boolean }) {
  if (r.errors.length) {
    for (const e of r.errors) console.error(e.reason);
    console.error(
      `\n共 ${r.errors.length} 处错误，未导入任何数据 / ${r.errors.length} error(s), nothing imported`,
    );
    process.exitCode = 1;
    return;
  }
  console.log(
    r.dryRun
      ? `校验通过：${r.imported} 条 / valid: ${r.imported} rows`
      : `已导入 ${r.imported} 条 / imported ${r.imported} rows`,
  );
}

const user = program.command('user').description('管理工作人员账号 / staff accounts');
user
  .command('add')
  .description('新增工作人员账号；密码从环境变量 GONGZHI_PASSWORD 或 --password 读取')
  .requiredOption('--username <name>', '登录名 / username')
  .requiredOption('--name <displayName>', '姓名 / display name')
  .requiredOption('--role <role>', `角色 / role: ${STAFF_ROLES.join(', ')}`, (v) => {
    if (!isStaffRole(v)) throw new InvalidArgumentError(`未知角色 unknown role: ${v}`);
    return v;
  })
  .requiredOption('--org <code>', '所属单位编码 / org unit code')
  .option('--password <password>', '密码（建议改用 GONGZHI_PASSWORD 环境变量）')
  .action(async (o: { username: string; name: string; role: string; org: string; password?: string }) => {
    const password = o.password ?? process.env.GONGZHI_PASSWORD;
    if (!password) throw new InvalidArgumentError('请通过 GONGZHI_PASSWORD 或 --password 提供密码');
    await withContext(async (ctx) => {
      const r = await createUser(ctx, systemActor(ctx.config.countyCode), {
        username: o.username,
        displayName: o.name,
        role: o.role as (typeof STAFF_ROLES)[number],
        orgId: o.org,
        password,
      });
      console.log(`已创建账号 / created ${o.username} (${r.id})`);
    });
  });

program
  .command('backup <file>')
  .description('备份内置数据库（服务运行中也可一致备份）；PostgreSQL 请用 pg_dump，见 docs/OPERATIONS.md')
  .action(async (file: string) => {
    const config = loadConfig();
    if (config.databaseUrl)
      throw new InvalidArgumentError('使用 PostgreSQL 时请用 pg_dump 备份（docs/OPERATIONS.md）');
    const r = await backupEmbedded(config.dataDir, file);
    console.log(
      `备份完成 / backup written: ${file} (${(r.bytes / 1e6).toFixed(1)} MB${r.viaServer ? ', 在线 online' : ''})`,
    );
  });

program
  .command('restore <file>')
  .description('从备份恢复内置数据库（须先停止服务；原数据库保留在旁）')
  .action(async (file: string) => {
    const config = loadConfig();
    if (config.databaseUrl)
      throw new InvalidArgumentError('使用 PostgreSQL 时请用 pg_restore（docs/OPERATIONS.md）');
    const r = await restoreEmbedded(config.dataDir, file);
    console.log(
      `恢复完成 / restored from ${file}${r.keptAt ? `；原数据库保留于 previous kept at ${r.keptAt}` : ''}`,
    );
    // The keys are never inside a backup: without them phones and contacts cannot be read.
    if (!config.secret && !fs.existsSync(keyFilePath(config.dataDir)))
      console.warn(
        `注意：${keyFilePath(config.dataDir)} 不存在，加密字段将无法解密；请放回与备份配套的密钥文件 / ` +
          'warning: no key file here — put back the secrets.json that goes with this backup',
      );
  });

registerIotCommands(program, withContext);

registerApiKeyCommands(program, withContext);

registerPrivacyCommands(program, withContext);

const db = program.command('db').description('数据库维护 / database maintenance');
db.command('snapshot')
  .description(`把迁移后的数据库结构写入 ${SNAPSHOT_FILE}（新增迁移后运行）`)
  .action(async () => {
    await withContext(async (ctx) => {
      fs.writeFileSync(SNAPSHOT_FILE, `${JSON.stringify(await describeSchema(ctx.database), null, 2)}\n`);
      console.log(`已写入 / written: ${SNAPSHOT_FILE}`);
    });
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof FolderLockedError) {
    console.error(err.message);
    process.exit(3);
  }
  if (err instanceof AppError) {
    console.error(`错误 ${err.code}: ${err.message}`);
    for (const d of err.details ?? []) console.error(`  - ${d.field}: ${d.message}`);
    process.exit(1);
  }
  if (err instanceof InvalidArgumentError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
