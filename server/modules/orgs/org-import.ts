/**
 * Parser and validator for org-unit CSV imports. Pure: the caller reads the file, decodes it as
 * UTF-8 and writes the rows. Every bad row is reported; when there is any error no rows are
 * returned, so an import is all or nothing.
 *
 * File format — header `code,name,kind,parent_code,subtype` (any column order, `subtype` optional,
 * a UTF-8 BOM and blank lines are tolerated, extra empty columns as Excel writes them are ignored).
 *
 * Code rules, by kind:
 * - county: 6 digits, equal to the county being imported into; `parent_code` empty.
 * - township: 9 digits starting with the county code; parent is the county.
 * - village: 12 digits starting with its parent township's code.
 * - department: county code + an upper-case letter + up to 8 of [0-9A-Z] (e.g. `360121D01`);
 *   parent is the county.
 * - centre: its parent's code (county, township or village) + an upper-case letter + up to 8 of
 *   [0-9A-Z] (e.g. `360121C`, `360121001C`, `360121001001C`), so that a centre sorts under the
 *   unit it serves and "everything under 360121001" stays a prefix query.
 *
 * `subtype`, when empty, is derived: from the name for townships (街道/镇/乡) and village-level
 * units (社区/村), from the parent's kind for centres; departments have none unless given.
 */
import { parse } from 'csv-parse/sync';
import { type OrgKind, type OrgSeed, townshipSubtype, villageSubtype } from './demo-county.ts';

/** One problem in an import file; `line` is the 1-based file line (the header is line 1). */
export interface OrgImportError {
  line: number;
  reason: string;
}

/** Result of {@link parseOrgCsv}: rows parents-first, or every error found (then `rows` is empty). */
export interface OrgImportResult {
  rows: OrgSeed[];
  errors: OrgImportError[];
}

/** The org kinds, in the order a CSV error message lists them. */
export const ORG_KINDS: readonly OrgKind[] = ['county', 'township', 'village', 'department', 'centre'];

/** Which kinds of parent each kind of unit may hang under. */
export const ALLOWED_PARENT_KINDS: Readonly<Record<OrgKind, readonly OrgKind[]>> = {
  county: [],
  township: ['county'],
  village: ['township'],
  department: ['county'],
  centre: ['county', 'township', 'village'],
};

/** Accepted subtypes per kind; `null` means free-form (a short snake_case key). */
const SUBTYPES: Record<OrgKind, readonly string[] | null> = {
  county: [],
  township: ['street', 'town', 'township'],
  village: ['community', 'village'],
  department: null,
  centre: ['county', 'township', 'village'],
};

const KIND_LABEL: Record<OrgKind, string> = {
  county: '县',
  township: '乡镇（街道）',
  village: '村（社区）',
  department: '部门',
  centre: '服务中心',
};

const REQUIRED_COLUMNS = ['code', 'name', 'kind', 'parent_code'] as const;
const COLUMNS = [...REQUIRED_COLUMNS, 'subtype'] as const;
type Column = (typeof COLUMNS)[number];

const SUFFIX = '[A-Z][0-9A-Z]{0,8}';
const DEPARTMENT_CODE = new RegExp(`^([0-9]{6})${SUFFIX}$`);
const CENTRE_CODE = new RegExp(`^([0-9]{6}|[0-9]{9}|[0-9]{12})${SUFFIX}$`);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Kind implied by a code's shape, used for parents that exist already (only their ids are known).
 * Departments and centres share a shape and can be no one's parent, so they are not told apart.
 */
export function kindFromCode(code: string): 'county' | 'township' | 'village' | 'unit' | null {
  if (/^[0-9]{6}$/.test(code)) return 'county';
  if (/^[0-9]{9}$/.test(code)) return 'township';
  if (/^[0-9]{12}$/.test(code)) return 'village';
  if (CENTRE_CODE.test(code)) return 'unit';
  return null;
}

interface Entry {
  line: number;
  code: string;
  name: string;
  kind: string;
  parentCode: string;
  subtype: string;
}

/**
 * Parses and validates an org CSV against the county `known.countyCode` and the units that exist
 * already (`known.ids`). Rows come back parents first (county, townships and departments, villages,
 * centres), with `sort` numbered 1.. per parent in file order.
 */
export function parseOrgCsv(text: string, known: { ids: Set<string>; countyCode: string }): OrgImportResult {
  const errors: OrgImportError[] = [];
  const fail = (line: number, reason: string) => errors.push({ line, reason: `第 ${line} 行：${reason}` });

  const bad = text.indexOf('\uFFFD');
  if (bad !== -1) {
    const line = text.slice(0, bad).split('\n').length;
    fail(line, '含有无法识别的字符，文件可能不是 UTF-8 编码（如 GBK），请另存为“CSV UTF-8”后再导入');
    return { rows: [], errors };
  }

  const records = parse(text, {
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) fail(Math.max(1, Number(err.lines) || 1), `CSV 格式错误（${err.code}），请检查引号是否成对`);
      return undefined;
    },
  }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];

  // A record's `lines` is where it ends; a quoted field may span lines, so count back to its start.
  const startLine = (r: { info: { lines: number }; raw: string }) =>
    r.info.lines - (r.raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);

  const header = records[0];
  if (!header) {
    if (!errors.length) fail(1, '文件为空，缺少表头 code,name,kind,parent_code,subtype');
    return { rows: [], errors };
  }
  const headerLine = startLine(header);
  const index = new Map<Column, number>();
  header.record.forEach((raw, i) => {
    const name = raw.trim().toLowerCase() as Column;
    if (!name) return;
    if (!COLUMNS.includes(name)) fail(headerLine, `未知的列 ${raw.trim()}，允许的列：${COLUMNS.join(',')}`);
    else if (index.has(name)) fail(headerLine, `列 ${name} 重复`);
    else index.set(name, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) fail(headerLine, `表头缺少列 ${missing.join(', ')}`);
  if (errors.length) return { rows: [], errors };

  const entries: Entry[] = [];
  for (const r of records.slice(1)) {
    const line = startLine(r);
    const cells = r.record.map((c) => c.trim());
    if (cells.every((c) => c === '')) continue;
    if (cells.slice(header.record.length).some((c) => c !== '')) fail(line, '列数多于表头');
    const get = (c: Column) => {
      const i = index.get(c);
      return i === undefined ? '' : (cells[i] ?? '');
    };
    entries.push({
      line,
      code: get('code'),
      name: get('name'),
      kind: get('kind'),
      parentCode: get('parent_code'),
      subtype: get('subtype'),
    });
  }
  if (!entries.length && !errors.length) fail(headerLine, '文件中没有数据行');

  const firstLine = new Map<string, number>();
  const fileKind = new Map<string, OrgKind>();
  for (const e of entries) {
    if (!e.code || firstLine.has(e.code)) continue;
    firstLine.set(e.code, e.line);
    if (ORG_KINDS.includes(e.kind as OrgKind)) fileKind.set(e.code, e.kind as OrgKind);
  }
  const parentKind = (code: string): OrgKind | 'unit' | null =>
    fileKind.get(code) ?? (known.ids.has(code) || firstLine.has(code) ? kindFromCode(code) : null);

  const rows: (OrgSeed & { line: number; depth: number })[] = [];
  for (const e of entries) {
    const at = (reason: string) => fail(e.line, reason);
    const before = errors.length;

    if (!e.code) at('缺少编码 code');
    else if (firstLine.get(e.code) !== e.line) at(`编码 ${e.code} 与第 ${firstLine.get(e.code)} 行重复`);

    if (!e.name) at('缺少名称 name');
    else if ([...e.name].length > 100) at('名称不能超过 100 个字');
    else if (CONTROL.test(e.name)) at('名称含有控制字符');

    if (!e.kind) {
      at('缺少类型 kind');
      continue;
    }
    if (!ORG_KINDS.includes(e.kind as OrgKind)) {
      at(`类型 ${e.kind} 无效，应为 ${ORG_KINDS.join('、')} 之一`);
      continue;
    }
    const kind = e.kind as OrgKind;

    // Parent: presence, existence and kind.
    let pKind: OrgKind | 'unit' | null = null;
    if (kind === 'county') {
      if (e.parentCode) at('县级单位不应填写上级单位 parent_code');
    } else if (!e.parentCode) {
      at('缺少上级单位编码 parent_code');
    } else if (e.parentCode === e.code) {
      at('上级单位不能是自己');
    } else {
      pKind = parentKind(e.parentCode);
      if (pKind === null) {
        at(`上级单位 ${e.parentCode} 不存在`);
      } else if (pKind === 'unit' || !ALLOWED_PARENT_KINDS[kind].includes(pKind)) {
        const allowed = ALLOWED_PARENT_KINDS[kind].map((k) => KIND_LABEL[k]).join('或');
        at(`上级单位 ${e.parentCode} 不是${allowed}，${KIND_LABEL[kind]}不能挂在其下`);
        pKind = null;
      }
    }

    // Code shape, once the parent is known to fit.
    if (e.code) {
      const reason = codeProblem(kind, e.code, e.parentCode, pKind, known.countyCode);
      if (reason) at(reason);
    }

    // Subtype: checked when given, derived when not.
    let subtype: string | null = e.subtype || null;
    const allowed = SUBTYPES[kind];
    if (subtype !== null) {
      if (allowed === null) {
        if (!/^[a-z][a-z0-9_]{0,39}$/.test(subtype))
          at(`子类型 ${subtype} 无效，应为小写英文字母、数字和下划线`);
      } else if (!allowed.length) {
        at(`${KIND_LABEL[kind]}不设子类型 subtype`);
      } else if (!allowed.includes(subtype)) {
        at(`子类型 ${subtype} 无效，${KIND_LABEL[kind]}应为 ${allowed.join('、')} 之一`);
      } else if (kind === 'centre' && pKind && subtype !== pKind) {
        at(`子类型 ${subtype} 与上级单位的层级 ${pKind} 不一致`);
      }
    } else if (kind === 'township') subtype = townshipSubtype(e.name);
    else if (kind === 'village') subtype = villageSubtype(e.name);
    else if (kind === 'centre' && pKind) subtype = pKind;

    if (errors.length > before) continue;
    const depth =
      kind === 'county' ? 0 : kind === 'village' ? 2 : kind === 'centre' ? depthOf(pKind as OrgKind) + 1 : 1;
    rows.push({
      id: e.code,
      parentId: kind === 'county' ? null : e.parentCode,
      kind,
      subtype,
      name: e.name,
      sort: 0,
      line: e.line,
      depth,
    });
  }

  if (errors.length) {
    errors.sort((a, b) => a.line - b.line);
    return { rows: [], errors };
  }
  const perParent = new Map<string, number>();
  for (const r of rows) {
    const key = r.parentId ?? '';
    r.sort = (perParent.get(key) ?? 0) + 1;
    perParent.set(key, r.sort);
  }
  rows.sort((a, b) => a.depth - b.depth || a.line - b.line);
  return { rows: rows.map(({ line: _line, depth: _depth, ...seed }) => seed), errors };
}

function depthOf(kind: OrgKind): number {
  return kind === 'county' ? 0 : kind === 'village' ? 2 : 1;
}

function codeProblem(
  kind: OrgKind,
  code: string,
  parentCode: string,
  parentKind: OrgKind | 'unit' | null,
  countyCode: string,
): string | null {
  switch (kind) {
    case 'county':
      if (!/^[0-9]{6}$/.test(code)) return `县级编码 ${code} 必须是 6 位数字`;
      if (code !== countyCode) return `县级编码 ${code} 与当前县 ${countyCode} 不一致`;
      return null;
    case 'township':
      if (!/^[0-9]{9}$/.test(code)) return `乡镇（街道）编码 ${code} 必须是 9 位数字`;
      if (!code.startsWith(countyCode)) return `乡镇（街道）编码 ${code} 必须以县级编码 ${countyCode} 开头`;
      if (parentKind && parentCode !== countyCode) return `乡镇（街道）的上级单位必须是本县 ${countyCode}`;
      return null;
    case 'village':
      if (!/^[0-9]{12}$/.test(code)) return `村（社区）编码 ${code} 必须是 12 位数字`;
      if (!code.startsWith(countyCode)) return `村（社区）编码 ${code} 必须以县级编码 ${countyCode} 开头`;
      if (parentKind && !code.startsWith(parentCode)) {
        return `村（社区）编码 ${code} 必须以上级乡镇（街道）编码 ${parentCode} 开头`;
      }
      return null;
    case 'department': {
      const m = DEPARTMENT_CODE.exec(code);
      if (!m)
        return `部门编码 ${code} 格式应为县级编码 + 大写字母 + 至多 8 位数字或大写字母，如 ${countyCode}D01`;
      if (m[1] !== countyCode) return `部门编码 ${code} 必须以县级编码 ${countyCode} 开头`;
      if (parentKind && parentCode !== countyCode) return `部门的上级单位必须是本县 ${countyCode}`;
      return null;
    }
    case 'centre': {
      const m = CENTRE_CODE.exec(code);
      if (!m)
        return `服务中心编码 ${code} 格式应为上级单位编码 + 大写字母 + 至多 8 位数字或大写字母，如 ${countyCode}C`;
      if (!m[1]!.startsWith(countyCode)) return `服务中心编码 ${code} 必须以县级编码 ${countyCode} 开头`;
      if (parentKind && m[1] !== parentCode)
        return `服务中心编码 ${code} 必须以上级单位编码 ${parentCode} 开头`;
      return null;
    }
  }
}
