/**
 * CLI commands for personal data: `gongzhi keys rotate|retire|status` (field-encryption keys) and
 * `gongzhi privacy retention|export` (PIPL retention and a citizen's copy).
 */
import fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { keyFilePath, readKeyFile } from '../../lib/crypto.ts';
import { exportCitizen } from './export.ts';
import { keyUsage, retireKey, rotateKeys } from './keys.ts';
import { applyRetention } from './retention.ts';

type WithContext = <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;

function keyFileOf(ctx: AppContext): string {
  if (ctx.config.secret) {
    throw new InvalidArgumentError(
      '密钥由 GONGZHI_SECRET 派生，无法轮换；请改用数据目录中的密钥文件（docs/OPERATIONS.md）/ ' +
        'keys derive from GONGZHI_SECRET and cannot rotate; use the key file (docs/OPERATIONS.md)',
    );
  }
  const file = keyFilePath(ctx.config.dataDir);
  if (!fs.existsSync(file)) throw new InvalidArgumentError(`找不到密钥文件 / no key file: ${file}`);
  return file;
}

/** Registers `keys …` and `privacy …`. */
export function registerPrivacyCommands(program: Command, withContext: WithContext): void {
  const keys = program.command('keys').description('字段加密密钥 / field-encryption keys');
  keys
    .command('status')
    .description('列出密钥及各密钥加密的数据条数 / list keys and how many values each encrypts')
    .action(async () => {
      await withContext(async (ctx) => {
        const file = keyFileOf(ctx);
        const data = readKeyFile(file);
        const usage = await keyUsage(ctx.database.db);
        for (const k of data.keys) {
          console.log(`${k.id}${k.id === data.current ? ' (current 当前)' : ''}: ${usage.get(k.id) ?? 0}`);
        }
        if (data.rotating)
          console.log('轮换未完成，请再次运行 keys rotate / rotation unfinished: run keys rotate again');
      });
    });
  keys
    .command('rotate')
    .description(
      '新增密钥并设为当前，分批重新加密所有加密字段；中断后再次运行即可继续 / add a key, re-encrypt everything (resumable)',
    )
    .action(async () => {
      await withContext(async (ctx) => {
        const r = await rotateKeys(ctx.database.db, keyFileOf(ctx), ctx.config.countyCode, (table, rows) =>
          console.log(`  ${table}: ${rows}`),
        );
        console.log(
          `当前密钥 / current key: ${r.newKeyId}${r.resumed ? '（续做 resumed）' : ''}；重新加密 / re-encrypted ${r.reencrypted} 行 rows`,
        );
        console.log(
          r.retirable.length
            ? `已无数据使用，可退役 / no longer used, retire with \`gongzhi keys retire <id>\`: ${r.retirable.join(', ')}`
            : '没有可退役的旧密钥 / no old key is free yet',
        );
      });
    });
  keys
    .command('retire <id>')
    .description('删除不再被任何数据使用的旧密钥 / remove an old key nothing uses any more')
    .action(async (id: string) => {
      await withContext(async (ctx) => {
        const r = await retireKey(ctx.database.db, keyFileOf(ctx), ctx.config.countyCode, id);
        if (r.ok) {
          console.log(`已退役 / retired ${id}`);
          return;
        }
        const why = {
          unknown: '没有这个密钥 / no such key',
          current: '当前密钥或轮换未完成 / current key, or a rotation is unfinished',
          in_use: `仍有 ${r.count} 条数据使用，请先运行 keys rotate / still used by ${r.count} values: run keys rotate`,
        }[r.reason];
        console.error(why);
        process.exitCode = 1;
      });
    });

  const privacy = program.command('privacy').description('个人信息保护 / personal data (PIPL)');
  privacy
    .command('retention')
    .description(
      '匿名化保存期限已过的已办结工单中的个人信息（RETENTION_DAYS）/ apply the retention period now',
    )
    .action(async () => {
      await withContext(async (ctx) => {
        const r = await applyRetention(ctx);
        console.log(
          `保存期限 / retention ${ctx.config.retentionDays} 天 days（办结早于 closed before ${r.cutoff.toISOString()}）：` +
            `匿名化工单 cases ${r.cases}，删除照片 photos ${r.photos}，删除群众账号 citizen accounts ${r.citizens}`,
        );
      });
    });
  privacy
    .command('export <citizenId>')
    .description(
      '导出某位群众的全部个人信息（JSON，写入标准输出）/ everything held about one citizen, as JSON',
    )
    .action(async (citizenId: string) => {
      await withContext(async (ctx) => {
        const data = await exportCitizen(ctx, systemActor(ctx.config.countyCode), citizenId);
        process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      });
    });
}
