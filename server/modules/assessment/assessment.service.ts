import type { Kysely } from 'kysely';
import type { StaffActor } from '../../authz/actor.ts';
import { actingUnitOf, type Scope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { chinaDay } from '../../engine/rollups.ts';
import { AppError, type FieldError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import {
  type AssessedOrg,
  findAssessedOrg,
  listOrgsOfKindInScope,
  type MetricSums,
  type MetricType,
  orgNamesOfKind,
  type Period,
  readSetting,
  type Slice,
  sumMetrics,
  sumMetricsBy,
  writeSetting,
} from './assessment.repository.ts';

/**
 * Assessment (考核, DESIGN §4): counts and rates per org and period from the rollups, rankings of
 * townships and departments by a composite score, exports, and the configurable weights.
 */

/** Weights of the composite score (percent, summing to 100) and of 基本满意 in the satisfaction rate. */
export interface Weights {
  response: number;
  resolution: number;
  satisfaction: number;
  basicWeight: number;
}

/** Default weights: 30 % response, 35 % resolution, 35 % satisfaction; 基本满意 counts 0.8. */
export const DEFAULT_WEIGHTS: Weights = { response: 30, resolution: 35, satisfaction: 35, basicWeight: 0.8 };
export const WEIGHTS_KEY = 'assessment_weights';
/** The longest period a query may cover. */
const MAX_YEARS = 3;

/** The counts an assessment shows (sums of the rollup metrics). */
export interface Counts {
  received: number;
  dispatched: number;
  answeredDirectly: number;
  signed: number;
  signedOnTime: number;
  firstContact: number;
  responseOk: number;
  replied: number;
  repliedOnTime: number;
  closed: number;
  /** Of the cases received in the period, how many are closed (counted on their receive day). */
  closedCohort: number;
  closedOnTime: number;
  rated: number;
  resolved: number;
  satisfied: number;
  basicallySatisfied: number;
  unsatisfied: number;
  redo: number;
  extension: number;
  returned: number;
  voided: number;
  merged: number;
  overdue: number;
}

const COUNT_METRICS: Record<keyof Counts, string> = {
  received: 'received',
  dispatched: 'dispatched',
  answeredDirectly: 'answered_directly',
  signed: 'signed',
  signedOnTime: 'signed_on_time',
  firstContact: 'first_contact',
  responseOk: 'response_ok',
  replied: 'replied',
  repliedOnTime: 'replied_on_time',
  closed: 'closed',
  closedCohort: 'closed_cohort',
  closedOnTime: 'closed_on_time',
  rated: 'rated',
  resolved: 'resolved',
  satisfied: 'satisfied',
  basicallySatisfied: 'basically_satisfied',
  unsatisfied: 'unsatisfied',
  redo: 'redo',
  extension: 'extension',
  returned: 'returned',
  voided: 'voided',
  merged: 'merged',
  overdue: '', // the sum of every overdue_<stage>
};

/** Rates as fractions (0..1); null when the denominator is 0. */
export interface Rates {
  closure: number | null;
  response: number | null;
  resolution: number | null;
  satisfaction: number | null;
  onTime: number | null;
  redo: number | null;
  extension: number | null;
  return: number | null;
}

/** Whistle and report (吹哨报到) figures. */
export interface WhistleFigures {
  whistles: number;
  whistledDepartments: number;
  reports: number;
  lateReports: number;
  meanReportMinutes: number | null;
  ratings: number;
  meanRating: number | null;
}

/** Everything computed for one slice and period. */
export interface Figures {
  counts: Counts;
  overdueByStage: Record<string, number>;
  rates: Rates;
  whistle: WhistleFigures;
  /** Composite score 0..100; null when no weighted rate has a denominator. */
  score: number | null;
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

/**
 * Counts, rates, whistle figures and the composite score from metric sums.
 * The score is the weighted mean of the response, resolution and satisfaction rates, times 100.
 * A rate that is null (nothing to measure in the period) is left out and the other weights are
 * rescaled, so a unit is neither rewarded nor punished for work that did not arise; the score is
 * null when no weighted rate can be measured.
 */
export function computeFigures(sums: MetricSums, w: Weights): Figures {
  const get = (m: string) => sums.get(m) ?? 0;
  const overdueByStage: Record<string, number> = {};
  for (const [m, v] of sums) {
    if (m.startsWith('overdue_') && v !== 0) overdueByStage[m.slice('overdue_'.length)] = v;
  }
  const counts = Object.fromEntries(
    Object.entries(COUNT_METRICS).map(([k, m]) => [
      k,
      k === 'overdue' ? Object.values(overdueByStage).reduce((a, b) => a + b, 0) : get(m),
    ]),
  ) as unknown as Counts;
  const rates: Rates = {
    closure: ratio(counts.closedCohort, counts.received),
    response: ratio(counts.responseOk, counts.dispatched),
    resolution: ratio(counts.resolved, counts.rated),
    satisfaction: ratio(counts.satisfied + w.basicWeight * counts.basicallySatisfied, counts.rated),
    onTime: ratio(counts.closedOnTime, counts.closed),
    redo: ratio(counts.redo, counts.dispatched),
    extension: ratio(counts.extension, counts.dispatched),
    return: ratio(counts.returned, counts.dispatched),
  };
  const reports = get('whistle_reports');
  const ratings = get('whistle_ratings');
  const whistle: WhistleFigures = {
    whistles: get('whistles'),
    whistledDepartments: get('whistled_departments'),
    reports,
    lateReports: get('whistle_reports_late'),
    meanReportMinutes: ratio(get('whistle_report_minutes'), reports),
    ratings,
    meanRating: ratio(get('whistle_rating_sum'), ratings),
  };
  return { counts, overdueByStage, rates, whistle, score: compositeScore(rates, w) };
}

/** Weighted mean of the measurable component rates, on a 0..100 scale (see `computeFigures`). */
export function compositeScore(rates: Pick<Rates, 'response' | 'resolution' | 'satisfaction'>, w: Weights) {
  const parts: [number, number | null][] = [
    [w.response, rates.response],
    [w.resolution, rates.resolution],
    [w.satisfaction, rates.satisfaction],
  ];
  let weight = 0;
  let sum = 0;
  for (const [wt, rate] of parts) {
    if (wt <= 0 || rate === null) continue;
    weight += wt;
    sum += wt * rate;
  }
  return weight > 0 ? (sum / weight) * 100 : null;
}

// ---------------------------------------------------------------------------------------------
// Periods

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDay(s: string): boolean {
  const m = DAY.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

function addYears(day: string, years: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}

/**
 * The period asked for, checked: real calendar days, from ≤ to, less than three years long.
 * Defaults: `to` today (China time), `from` the first of January of `to`'s year.
 */
export function resolvePeriod(
  ctx: AppContext,
  q: { from?: string | undefined; to?: string | undefined },
): Period {
  const problems: FieldError[] = [];
  if (q.from !== undefined && !isRealDay(q.from)) problems.push({ field: 'from', message: '日期无效' });
  if (q.to !== undefined && !isRealDay(q.to)) problems.push({ field: 'to', message: '日期无效' });
  if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
  const to = q.to ?? chinaDay(ctx.clock.now());
  const from = q.from ?? `${to.slice(0, 4)}-01-01`;
  if (from > to) {
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'from', message: '开始日期不能晚于结束日期' }],
    });
  }
  if (to >= addYears(from, MAX_YEARS)) {
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'to', message: `统计期间不能超过 ${MAX_YEARS} 年` }],
    });
  }
  return { from, to };
}

// ---------------------------------------------------------------------------------------------
// Weights

function validWeights(v: unknown): Weights | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const nums = [o.response, o.resolution, o.satisfaction, o.basicWeight];
  if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  const w = o as unknown as Weights;
  return weightProblems(w).length === 0 ? w : undefined;
}

/** What is wrong with a set of weights (empty when they are valid). */
export function weightProblems(w: Weights): FieldError[] {
  const problems: FieldError[] = [];
  for (const k of ['response', 'resolution', 'satisfaction'] as const) {
    if (!(w[k] >= 0 && w[k] <= 100)) problems.push({ field: k, message: '权重必须在 0 到 100 之间' });
  }
  if (!(w.basicWeight >= 0 && w.basicWeight <= 1)) {
    problems.push({ field: 'basicWeight', message: '基本满意折算系数必须在 0 到 1 之间' });
  }
  if (problems.length === 0 && Math.abs(w.response + w.resolution + w.satisfaction - 100) > 1e-9) {
    problems.push({ field: 'response', message: '响应率、解决率、满意率权重之和必须为 100' });
  }
  return problems;
}

/** The county's weights: the stored setting, or the defaults when unset or unusable. */
export async function currentWeights(db: Kysely<DB>, countyCode: string) {
  const row = await readSetting(db, countyCode, WEIGHTS_KEY);
  const stored = row ? validWeights(row.value) : undefined;
  const w = stored ?? DEFAULT_WEIGHTS;
  return {
    weights: {
      response: w.response,
      resolution: w.resolution,
      satisfaction: w.satisfaction,
      basicWeight: w.basicWeight,
    },
    isDefault: stored === undefined,
    updatedAt: stored && row ? row.updated_at.toISOString() : null,
  };
}

/** The weights for the API. */
export async function getWeights(ctx: AppContext, actor: StaffActor) {
  const { weights, isDefault, updatedAt } = await currentWeights(ctx.database.db, actor.countyCode);
  return { ...weights, isDefault, updatedAt, defaults: DEFAULT_WEIGHTS };
}

/** Replaces the weights (admins), validated and audited as `settings.updated`. */
export async function putWeights(
  ctx: AppContext,
  actor: StaffActor,
  input: Weights,
  meta: { ip?: string; requestId?: string },
) {
  const next: Weights = {
    response: input.response,
    resolution: input.resolution,
    satisfaction: input.satisfaction,
    basicWeight: input.basicWeight,
  };
  const problems = weightProblems(next);
  if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
  await ctx.database.transaction(async (trx) => {
    const before = await currentWeights(trx, actor.countyCode);
    await writeSetting(trx, actor.countyCode, WEIGHTS_KEY, next, ctx.clock.now());
    await audit(trx, actor, {
      action: 'settings.updated',
      targetType: 'settings',
      targetId: WEIGHTS_KEY,
      detail: { key: WEIGHTS_KEY, before: before.isDefault ? null : before.weights, after: next },
      ip: meta.ip,
      requestId: meta.requestId,
    });
  });
  return getWeights(ctx, actor);
}

// ---------------------------------------------------------------------------------------------
// Whose figures

/** An org as shown with figures. */
export interface OrgRef {
  id: string;
  name: string;
  kind: string;
}

/**
 * The rollup slice an org stands for: a department's figures are those of its unit (`unit_id`:
 * the cases it led and the whistles it answered); a centre stands for the territory it serves;
 * a county, township or village for its subtree.
 */
function sliceOf(countyCode: string, org: AssessedOrg): Slice {
  if (org.kind === 'department') return { countyCode, kind: 'unit', unitId: org.id };
  if (org.kind === 'centre') return { countyCode, kind: 'territory', pathPrefix: org.scope_path };
  return { countyCode, kind: 'territory', pathPrefix: org.path };
}

/** The org whose figures the actor sees by default: the unit they act for (404 when it is gone). */
async function homeOrg(ctx: AppContext, actor: StaffActor, scope: Scope): Promise<AssessedOrg> {
  const org = await findAssessedOrg(ctx.database.db, scope, actingUnitOf(actor));
  if (!org) throw notFound();
  return org;
}

export interface SummaryQuery {
  from?: string | undefined;
  to?: string | undefined;
  orgId?: string | undefined;
  type?: MetricType | undefined;
}

/**
 * The figures of one org for a period. Without `orgId`, the caller's own unit (their territory, or
 * their department). An org outside the caller's jurisdiction answers 404.
 */
export async function summary(ctx: AppContext, actor: StaffActor, q: SummaryQuery) {
  const period = resolvePeriod(ctx, q);
  const type = q.type ?? 'appeal';
  const scope = scopeOf(actor);
  const org = q.orgId
    ? await findAssessedOrg(ctx.database.db, scope, q.orgId)
    : await homeOrg(ctx, actor, scope);
  if (!org) throw notFound();
  const slice = sliceOf(actor.countyCode, org);
  const [{ weights }, sums] = await Promise.all([
    currentWeights(ctx.database.db, actor.countyCode),
    sumMetrics(ctx.database.db, slice, period, type, { today: chinaDay(ctx.clock.now()) }),
  ]);
  return {
    org: { id: org.id, name: org.name, kind: org.kind },
    view: slice.kind,
    type,
    ...period,
    weights,
    ...computeFigures(sums, weights),
  };
}

export type RankBy = 'township' | 'department';

export interface RankingsQuery {
  from?: string | undefined;
  to?: string | undefined;
  by: RankBy;
  type?: MetricType | undefined;
}

/** Composite score descending (unscored last), then more cases received first, then by code. */
function byScore(a: { score: number | null; counts: Counts; org: OrgRef }, b: typeof a): number {
  if (a.score !== b.score) {
    if (a.score === null) return 1;
    if (b.score === null) return -1;
    return b.score - a.score;
  }
  if (a.counts.received !== b.counts.received) return b.counts.received - a.counts.received;
  return a.org.id < b.org.id ? -1 : a.org.id > b.org.id ? 1 : 0;
}

/**
 * Townships or departments ranked by composite score, with all their rates. Figures come from the
 * caller's own slice (their territory, or their department's unit), so a township dispatcher ranks
 * only what happened in their township. Listed: every unit of that kind with figures in the slice,
 * and every active one inside the jurisdiction even without figures (shown unscored).
 */
export async function rankings(ctx: AppContext, actor: StaffActor, q: RankingsQuery) {
  const period = resolvePeriod(ctx, q);
  const type = q.type ?? 'appeal';
  const scope = scopeOf(actor);
  const home = await homeOrg(ctx, actor, scope);
  const slice = sliceOf(actor.countyCode, home);
  const db = ctx.database.db;
  const [{ weights }, grouped, inScopeOrgs] = await Promise.all([
    currentWeights(ctx.database.db, actor.countyCode),
    // Only departments are ranked by unit: the other units' groups would be left out below.
    sumMetricsBy(db, slice, period, type, q.by === 'township' ? 'township' : 'unit', {
      today: chinaDay(ctx.clock.now()),
      unitKind: q.by === 'department' ? 'department' : undefined,
    }),
    listOrgsOfKindInScope(db, scope, q.by),
  ]);
  const named = await orgNamesOfKind(db, actor.countyCode, q.by, [...grouped.keys()]);
  const orgs = new Map<string, OrgRef>();
  for (const o of inScopeOrgs) orgs.set(o.id, o);
  // Groups that are not a unit of the kind asked (a village as lead unit, say) are left out.
  for (const [id, o] of named) orgs.set(id, o);
  const items = [...orgs.values()]
    .map((org) => ({
      org: { id: org.id, name: org.name, kind: org.kind },
      ...computeFigures(grouped.get(org.id) ?? new Map(), weights),
    }))
    .sort(byScore)
    .map((item, i) => ({ rank: i + 1, ...item }));
  return { by: q.by, type, ...period, weights, items };
}

// ---------------------------------------------------------------------------------------------
// Export

export type ExportFormat = 'csv' | 'xlsx' | 'json';

type Cell = string | number | null;

interface Column {
  header: string;
  /** How the XLSX shows it: a count, a rate (fraction shown as percent), a decimal. */
  kind: 'text' | 'int' | 'rate' | 'decimal';
  value: (item: RankingItem) => Cell;
}

type RankingItem = Awaited<ReturnType<typeof rankings>>['items'][number];

const RATE_COLUMNS: [string, keyof Rates][] = [
  ['办结率', 'closure'],
  ['响应率', 'response'],
  ['解决率', 'resolution'],
  ['满意率', 'satisfaction'],
  ['按时办结率', 'onTime'],
  ['重办率', 'redo'],
  ['延期率', 'extension'],
  ['退单率', 'return'],
];

const COUNT_COLUMNS: [string, keyof Counts][] = [
  ['受理量', 'received'],
  ['派单量', 'dispatched'],
  ['办结量', 'closed'],
  ['按时办结量', 'closedOnTime'],
  ['按时响应量', 'responseOk'],
  ['评价量', 'rated'],
  ['解决量', 'resolved'],
  ['满意量', 'satisfied'],
  ['基本满意量', 'basicallySatisfied'],
  ['不满意量', 'unsatisfied'],
  ['重办量', 'redo'],
  ['延期量', 'extension'],
  ['退单量', 'returned'],
  ['超期量', 'overdue'],
];

function columnsFor(by: RankBy): Column[] {
  return [
    { header: '排名', kind: 'int', value: (i) => i.rank },
    { header: '编码', kind: 'text', value: (i) => i.org.id },
    { header: by === 'township' ? '乡镇（街道）' : '部门', kind: 'text', value: (i) => i.org.name },
    { header: '综合得分', kind: 'decimal', value: (i) => i.score },
    ...RATE_COLUMNS.map(([header, k]): Column => ({ header, kind: 'rate', value: (i) => i.rates[k] })),
    ...COUNT_COLUMNS.map(([header, k]): Column => ({ header, kind: 'int', value: (i) => i.counts[k] })),
    { header: '吹哨次数', kind: 'int', value: (i) => i.whistle.whistles },
    { header: '报到次数', kind: 'int', value: (i) => i.whistle.reports },
    { header: '平均报到用时（分钟）', kind: 'decimal', value: (i) => i.whistle.meanReportMinutes },
    { header: '超时报到次数', kind: 'int', value: (i) => i.whistle.lateReports },
  ];
}

/** A text cell that a spreadsheet would read as a formula gets a leading apostrophe. */
function safeText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function csvField(v: Cell, kind: Column['kind']): string {
  if (v === null) return '';
  let s: string;
  if (typeof v === 'number') {
    s = kind === 'rate' ? (v * 100).toFixed(2) : kind === 'decimal' ? v.toFixed(2) : String(v);
  } else {
    s = safeText(v);
  }
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** CSV with a UTF-8 BOM and CRLF, so that Excel opens the Chinese text correctly. Rates in percent. */
export function toCsv(by: RankBy, items: RankingItem[]): string {
  const cols = columnsFor(by);
  const header = cols.map((c) => csvField(c.kind === 'rate' ? `${c.header}（%）` : c.header, 'text'));
  const lines = [header.join(',')];
  for (const item of items) lines.push(cols.map((c) => csvField(c.value(item), c.kind)).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** An XLSX workbook with one sheet: rates as fractions formatted as percent, so they stay numbers. */
export async function toXlsx(by: RankBy, items: RankingItem[], title: string, now: Date): Promise<Buffer> {
  // Loaded on first use: the library is large and only exports need it.
  const { default: ExcelJS } = await import('exceljs');
  const cols = columnsFor(by);
  const wb = new ExcelJS.Workbook();
  wb.creator = '共治 Gongzhi';
  wb.created = now;
  wb.modified = now;
  const ws = wb.addWorksheet('考核排名', { views: [{ state: 'frozen', xSplit: 3, ySplit: 1 }] });
  ws.columns = cols.map((c) => ({
    header: c.header,
    width: c.kind === 'text' ? 24 : Math.max(10, c.header.length * 2 + 2),
    style:
      c.kind === 'rate'
        ? { numFmt: '0.00%' }
        : c.kind === 'decimal'
          ? { numFmt: '0.00' }
          : c.kind === 'int'
            ? { numFmt: '0' }
            : {},
  }));
  ws.getRow(1).font = { bold: true };
  for (const item of items) {
    ws.addRow(
      cols.map((c) => {
        const v = c.value(item);
        return typeof v === 'string' ? safeText(v) : v;
      }),
    );
  }
  wb.title = title;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const CONTENT_TYPES: Record<Exclude<ExportFormat, 'json'>, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** RFC 5987 / 8187 encoding for `filename*`. */
function rfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `attachment` with an ASCII fallback name and the UTF-8 name for clients that read it. */
export function contentDisposition(asciiName: string, utf8Name: string): string {
  return `attachment; filename="${asciiName}"; filename*=UTF-8''${rfc5987(utf8Name)}`;
}

/** The rankings as a file (CSV or XLSX) or as the same table in JSON. */
export async function exportRankings(
  ctx: AppContext,
  actor: StaffActor,
  q: RankingsQuery & { format: ExportFormat },
) {
  const r = await rankings(ctx, actor, q);
  const cols = columnsFor(q.by);
  if (q.format === 'json') {
    return {
      kind: 'json' as const,
      body: {
        by: r.by,
        type: r.type,
        from: r.from,
        to: r.to,
        headers: cols.map((c) => c.header),
        rows: r.items.map((item) => cols.map((c) => c.value(item))),
      },
    };
  }
  const label = q.by === 'township' ? '乡镇' : '部门';
  const base = `${r.from}_${r.to}`;
  const asciiName = `assessment-${q.by}-${base}.${q.format}`;
  const utf8Name = `考核排名-${label}-${r.from}至${r.to}.${q.format}`;
  const body =
    q.format === 'csv'
      ? toCsv(q.by, r.items)
      : await toXlsx(q.by, r.items, `考核排名（${label}）${r.from}至${r.to}`, ctx.clock.now());
  return {
    kind: 'file' as const,
    contentType: CONTENT_TYPES[q.format],
    disposition: contentDisposition(asciiName, utf8Name),
    body,
  };
}
