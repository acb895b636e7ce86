/**
 * `gongzhi apikey create|list|revoke`: Open311 API keys without the web UI (e.g. on a server where
 * no admin account exists yet). Same service as the admin API: hashed, audited, shown once.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './apikeys.service.ts';

type WithContext = <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;

function label(v: string): string {
  const t = v.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (t.length < 1 || t.length > 100 || /[\u0000-\u001f\u007f]/.test(t))
    throw new InvalidArgumentError(`须为 1–100 个字符 / 1 to 100 characters: ${v}`);
  return t;
}

function uuid(v: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v))
    throw new InvalidArgumentError(`不是密钥编号 / not a key id: ${v}`);
  return v;
}

/** Keys belong to the county: refuse plainly when it has not been loaded yet. */
async function requireCounty(ctx: AppContext): Promise<void> {
  const county = await ctx.database.db
    .selectFrom('counties')
    .select('code')
    .where('code', '=', ctx.config.countyCode)
    .executeTakeFirst();
  if (!county)
    throw new InvalidArgumentError(
      `县 ${ctx.config.countyCode} 尚未载入，请先运行 gongzhi seed / the county is not loaded yet: run gongzhi seed first`,
    );
}

/** Adds the `apikey` command group to the CLI. */
export function registerApiKeyCommands(program: Command, withContext: WithContext): void {
  const apikey = program.command('apikey').description('Open311 接口密钥 / Open311 API keys');
  apikey
    .command('create')
    .description('签发密钥（只显示这一次）/ issue a key (shown this once)')
    .requiredOption('--name <name>', '名称 / name', label)
    .requiredOption('--system <system>', '使用方系统 / the client system', label)
    .action(async (o: { name: string; system: string }) => {
      await withContext(async (ctx) => {
        await requireCounty(ctx);
        const r = await createApiKey(ctx, systemActor(ctx.config.countyCode), o, {});
        console.log(`已签发 / issued ${r.apiKey.id}（${r.apiKey.name}，${r.apiKey.system}）`);
        console.log(`密钥 / key (只显示这一次 / shown once): ${r.key}`);
      });
    });
  apikey
    .command('list')
    .description('列出密钥（不含密钥本身）/ list keys (never the keys)')
    .action(async () => {
      await withContext(async (ctx) => {
        const { items } = await listApiKeys(ctx, systemActor(ctx.config.countyCode));
        if (!items.length) console.log('（没有密钥 / no keys）');
        for (const k of items)
          console.log(
            [
              k.id,
              k.keyPrefix,
              k.active ? '有效 active' : '已吊销 revoked',
              k.name,
              k.system,
              k.lastUsedAt ?? '-',
            ].join('\t'),
          );
      });
    });
  apikey
    .command('revoke <id>')
    .description('吊销密钥 / revoke a key')
    .action(async (id: string) => {
      uuid(id);
      await withContext(async (ctx) => {
        const { apiKey } = await revokeApiKey(ctx, systemActor(ctx.config.countyCode), id, {});
        console.log(`已吊销 / revoked ${apiKey.id}（${apiKey.name}）at ${apiKey.revokedAt}`);
      });
    });
}
