import fs from 'node:fs';
import type { Actor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { audit } from '../audit/audit.ts';
import { seedCategories } from '../categories/categories.loader.ts';
import { parseGridGeoJson } from '../grids/grid-import.ts';
import { parseOrgCsv } from './org-import.ts';
import { upsertGrids, upsertOrgs } from './orgs.loader.ts';

export interface ImportReport {
  imported: number;
  errors: { line: number; reason: string }[];
  dryRun: boolean;
}

function readText(file: string): string | { line: number; reason: string } {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { line: 0, reason: `无法读取文件 ${file}：${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
}

/**
 * Imports an org-unit CSV into the configured county: every row is validated first and every bad
 * row reported by line; only a file without errors is written, in one transaction.
 */
export async function importOrgsFile(
  ctx: AppContext,
  actor: Actor,
  file: string,
  opts: { dryRun?: boolean | undefined } = {},
): Promise<ImportReport> {
  const dryRun = Boolean(opts.dryRun);
  const text = readText(file);
  if (typeof text !== 'string') return { imported: 0, errors: [text], dryRun };
  const countyCode = ctx.config.countyCode;
  const existing = await ctx.database.db
    .selectFrom('org_units')
    .select('id')
    .where('county_code', '=', countyCode)
    .execute();
  const parsed = parseOrgCsv(text, { ids: new Set(existing.map((e) => e.id)), countyCode });
  if (parsed.errors.length || dryRun)
    return { imported: parsed.errors.length ? 0 : parsed.rows.length, errors: parsed.errors, dryRun };
  await ctx.database.transaction(async (trx) => {
    const county = parsed.rows.find((r) => r.kind === 'county');
    if (county) {
      await trx
        .insertInto('counties')
        .values({
          code: countyCode,
          name: county.name,
          city_code: countyCode.slice(0, 4),
          city_name: '',
          province_code: countyCode.slice(0, 2),
          province_name: '',
        })
        .onConflict((oc) => oc.column('code').doUpdateSet({ name: county.name }))
        .execute();
    }
    await upsertOrgs(trx, countyCode, parsed.rows, ctx.clock.now());
    // A real county needs the category taxonomy too (existing categories keep their edits).
    await seedCategories(trx, countyCode, ctx.clock.now());
    await audit(trx, actor, { action: 'org.imported', detail: { file, rows: parsed.rows.length } });
  });
  return { imported: parsed.rows.length, errors: [], dryRun };
}

/** Imports grid GeoJSON (all or nothing), replacing the geometry of grids with the same code. */
export async function importGridsFile(
  ctx: AppContext,
  actor: Actor,
  file: string,
  opts: { dryRun?: boolean | undefined } = {},
): Promise<ImportReport> {
  const dryRun = Boolean(opts.dryRun);
  const text = readText(file);
  if (typeof text !== 'string') return { imported: 0, errors: [text], dryRun };
  const countyCode = ctx.config.countyCode;
  const villages = await ctx.database.db
    .selectFrom('org_units')
    .select('id')
    .where('county_code', '=', countyCode)
    .where('kind', '=', 'village')
    .execute();
  const parsed = parseGridGeoJson(text, { villageIds: new Set(villages.map((v) => v.id)) });
  if (parsed.errors.length || dryRun)
    return { imported: parsed.errors.length ? 0 : parsed.rows.length, errors: parsed.errors, dryRun };
  await ctx.database.transaction(async (trx) => {
    await upsertGrids(trx, countyCode, parsed.rows, ctx.clock.now());
    await audit(trx, actor, { action: 'grid.imported', detail: { file, rows: parsed.rows.length } });
  });
  return { imported: parsed.rows.length, errors: [], dryRun };
}
