import { describe, expect, it } from 'vitest';
import { buildDemoCounty } from './demo-county.ts';
import { kindFromCode, parseOrgCsv } from './org-import.ts';

const known = { ids: new Set(['360121', '360121001', '360121100']), countyCode: '360121' };
const empty = { ids: new Set<string>(), countyCode: '360121' };
const HEADER = 'code,name,kind,parent_code,subtype';
const csv = (...lines: string[]) => [HEADER, ...lines].join('\n');

/** Reasons keyed by line, for compact assertions. */
function errorsOf(text: string, k = known) {
  const r = parseOrgCsv(text, k);
  expect(r.rows).toEqual([]);
  return r.errors;
}

describe('parseOrgCsv — valid files', () => {
  it('parses a whole county, parents first, with derived subtypes and sort numbers', () => {
    const text = csv(
      '360121C,南昌县社会治理现代化服务中心,centre,360121,',
      '360121001001C,象南社区社会治理服务站,centre,360121001001,',
      '360121001001,象南社区居委会,village,360121001,',
      '360121001,八月湖街道,township,360121,',
      '360121D01,南昌县住房和城乡建设局,department,360121,housing',
      '360121,南昌县,county,,',
      '360121102,三江镇,township,360121,town',
      '360121102201,"前进村委会",village,360121102,village',
      '360121200,泾口乡,township,360121',
    );
    const r = parseOrgCsv(text, empty);
    expect(r.errors).toEqual([]);
    expect(r.rows.map((o) => o.id)).toEqual([
      '360121',
      '360121C',
      '360121001',
      '360121D01',
      '360121102',
      '360121200',
      '360121001001',
      '360121102201',
      '360121001001C',
    ]);
    const byId = new Map(r.rows.map((o) => [o.id, o]));
    expect(byId.get('360121')).toEqual({
      id: '360121',
      parentId: null,
      kind: 'county',
      subtype: null,
      name: '南昌县',
      sort: 1,
    });
    expect(byId.get('360121C')).toMatchObject({ subtype: 'county', parentId: '360121', sort: 1 });
    expect(byId.get('360121001')).toMatchObject({ subtype: 'street', sort: 2 });
    expect(byId.get('360121D01')).toMatchObject({ subtype: 'housing', sort: 3 });
    expect(byId.get('360121200')).toMatchObject({ subtype: 'township', sort: 5 });
    expect(byId.get('360121001001')).toMatchObject({ subtype: 'community', parentId: '360121001', sort: 1 });
    expect(byId.get('360121001001C')).toMatchObject({ subtype: 'village', sort: 1 });
    expect(byId.get('360121102201')?.name).toBe('前进村委会');
  });

  it('accepts parents that exist already, a BOM, CRLF, blank lines, reordered and trailing empty columns', () => {
    const text =
      '\uFEFFname,code,parent_code,kind,,\r\n' +
      '莲塘一村,360121100201,360121100,village,,\r\n' +
      '\r\n' +
      ',,,,,\r\n' +
      '莲塘镇社会治理服务中心 , 360121100C ,360121100,centre\r\n';
    const r = parseOrgCsv(text, known);
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      {
        id: '360121100201',
        parentId: '360121100',
        kind: 'village',
        subtype: 'village',
        name: '莲塘一村',
        sort: 1,
      },
      {
        id: '360121100C',
        parentId: '360121100',
        kind: 'centre',
        subtype: 'township',
        name: '莲塘镇社会治理服务中心',
        sort: 2,
      },
    ]);
  });

  it('round-trips the demo county', () => {
    const demo = buildDemoCounty();
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const lines = demo.orgs.map((o) =>
      [o.id, quote(o.name), o.kind, o.parentId ?? '', o.subtype ?? ''].join(','),
    );
    const r = parseOrgCsv(csv(...lines.reverse()), empty);
    expect(r.errors).toEqual([]);
    expect(new Set(r.rows.map((o) => JSON.stringify({ ...o, sort: 0 })))).toEqual(
      new Set(demo.orgs.map((o) => JSON.stringify({ ...o, sort: 0 }))),
    );
    const seen = new Set<string>();
    for (const o of r.rows) {
      if (o.parentId) expect(seen.has(o.parentId)).toBe(true);
      seen.add(o.id);
    }
  });
});

describe('parseOrgCsv — errors', () => {
  it('reports a missing parent with its line number', () => {
    const errors = errorsOf(
      csv('360121100201,一村,village,360121100,', '360121999001,二村,village,360121999,'),
    );
    expect(errors).toEqual([{ line: 3, reason: '第 3 行：上级单位 360121999 不存在' }]);
  });

  it('reports required fields', () => {
    const errors = errorsOf(
      csv(',一村,village,360121100', '360121100202,,village,360121100', '360121100203,三村,,'),
    );
    expect(errors.map((e) => e.reason)).toEqual([
      '第 2 行：缺少编码 code',
      '第 3 行：缺少名称 name',
      '第 4 行：缺少类型 kind',
    ]);
    expect(errorsOf(csv('360121100204,四村,village,')).map((e) => e.reason)).toEqual([
      '第 2 行：缺少上级单位编码 parent_code',
    ]);
  });

  it('reports an unknown kind', () => {
    expect(errorsOf(csv('360121100201,一村,hamlet,360121100'))[0]!.reason).toBe(
      '第 2 行：类型 hamlet 无效，应为 county、township、village、department、centre 之一',
    );
  });

  it('checks code formats by kind', () => {
    const errors = errorsOf(
      csv(
        '360122,别县,county,,',
        '36012,短县,county,,',
        '36012101,短镇,township,360121,',
        '360122001,外县镇,township,360121,',
        '36012110020,短村,village,360121100,',
        '360121001201,错村,village,360121100,',
        '360121d01,小写部门,department,360121,',
        '360122D01,外县部门,department,360121,',
        '360121001X,错中心,centre,360121100,',
      ),
    );
    expect(errors.map((e) => [e.line, e.reason])).toEqual([
      [2, '第 2 行：县级编码 360122 与当前县 360121 不一致'],
      [3, '第 3 行：县级编码 36012 必须是 6 位数字'],
      [4, '第 4 行：乡镇（街道）编码 36012101 必须是 9 位数字'],
      [5, '第 5 行：乡镇（街道）编码 360122001 必须以县级编码 360121 开头'],
      [6, '第 6 行：村（社区）编码 36012110020 必须是 12 位数字'],
      [7, '第 7 行：村（社区）编码 360121001201 必须以上级乡镇（街道）编码 360121100 开头'],
      [8, '第 8 行：部门编码 360121d01 格式应为县级编码 + 大写字母 + 至多 8 位数字或大写字母，如 360121D01'],
      [9, '第 9 行：部门编码 360122D01 必须以县级编码 360121 开头'],
      [10, '第 10 行：服务中心编码 360121001X 必须以上级单位编码 360121100 开头'],
    ]);
  });

  it('checks that the parent is of a fitting kind', () => {
    const errors = errorsOf(
      csv(
        '360121D01,住建局,department,360121,',
        '360121100201,一村,village,360121,',
        '360121002,二街道,township,360121100,',
        '360121D02,部门,department,360121100,',
        '360121D01C,部门中心,centre,360121D01,',
        '360121,南昌县,county,36,',
      ),
      { ids: new Set(['360121', '360121100']), countyCode: '360121' },
    );
    expect(errors.map((e) => e.reason)).toEqual([
      '第 3 行：上级单位 360121 不是乡镇（街道），村（社区）不能挂在其下',
      '第 4 行：上级单位 360121100 不是县，乡镇（街道）不能挂在其下',
      '第 5 行：上级单位 360121100 不是县，部门不能挂在其下',
      '第 6 行：上级单位 360121D01 不是县或乡镇（街道）或村（社区），服务中心不能挂在其下',
      '第 7 行：县级单位不应填写上级单位 parent_code',
    ]);
  });

  it('reports duplicate codes against the first occurrence', () => {
    const errors = errorsOf(
      csv(
        '360121100201,一村,village,360121100',
        '360121100202,二村,village,360121100',
        '360121100201,又一村,village,360121100',
      ),
    );
    expect(errors).toEqual([{ line: 4, reason: '第 4 行：编码 360121100201 与第 2 行重复' }]);
  });

  it('checks names and subtypes', () => {
    const errors = errorsOf(
      csv(
        `360121100201,${'长'.repeat(101)},village,360121100`,
        '360121100202,"二\u0007村",village,360121100',
        '360121100203,三村,village,360121100,hamlet',
        '360121D01,住建局,department,360121,Housing Bureau',
        '360121100C,中心,centre,360121100,village',
      ),
    );
    expect(errors.map((e) => e.reason)).toEqual([
      '第 2 行：名称不能超过 100 个字',
      '第 3 行：名称含有控制字符',
      '第 4 行：子类型 hamlet 无效，村（社区）应为 community、village 之一',
      '第 5 行：子类型 Housing Bureau 无效，应为小写英文字母、数字和下划线',
      '第 6 行：子类型 village 与上级单位的层级 township 不一致',
    ]);
  });

  it('reports every bad row, several per row, and returns no rows', () => {
    const text = csv(
      '360121100201,一村,village,360121100',
      '360121999001,,village,360121999',
      '360121100202,二村,village,360121100',
      'X1,坏,hamlet,',
      '360121100201,重复村,village,360121100',
    );
    const r = parseOrgCsv(text, known);
    expect(r.rows).toEqual([]);
    expect(r.errors.map((e) => e.line)).toEqual([3, 3, 5, 6]);
    expect(r.errors[0]!.reason).toBe('第 3 行：缺少名称 name');
    expect(r.errors[1]!.reason).toBe('第 3 行：上级单位 360121999 不存在');
    expect(r.errors[3]!.reason).toBe('第 6 行：编码 360121100201 与第 2 行重复');
  });

  it('counts file lines, not records, when a quoted field spans lines and with a BOM', () => {
    const text = `\uFEFF${HEADER}\n360121100201,"一\n村",village,360121100\n360121999001,二村,village,360121999\n`;
    expect(errorsOf(text).map((e) => e.reason)).toEqual([
      '第 2 行：名称含有控制字符',
      '第 4 行：上级单位 360121999 不存在',
    ]);
  });

  it('rejects bad headers, empty files, broken quoting, extra cells and mis-decoded text', () => {
    expect(errorsOf('code,name,type,parent\n1,2,3,4').map((e) => e.reason)).toEqual([
      '第 1 行：未知的列 type，允许的列：code,name,kind,parent_code,subtype',
      '第 1 行：未知的列 parent，允许的列：code,name,kind,parent_code,subtype',
      '第 1 行：表头缺少列 kind, parent_code',
    ]);
    expect(errorsOf('')[0]!.line).toBe(1);
    expect(errorsOf(`${HEADER}\n`)).toEqual([{ line: 1, reason: '第 1 行：文件中没有数据行' }]);
    const broken = errorsOf(csv('360121100201,"一村,village,360121100'));
    expect(broken).toHaveLength(1);
    expect(broken[0]!.reason).toMatch(/^第 2 行：CSV 格式错误/);
    expect(errorsOf(csv('360121100201,一村,village,360121100,village,多余'))[0]!.reason).toBe(
      '第 2 行：列数多于表头',
    );
    expect(errorsOf(csv('360121100201,\uFFFD\uFFFD,village,360121100'))[0]!.line).toBe(2);
  });
});

describe('kindFromCode', () => {
  it('infers the kind from the code shape', () => {
    expect(kindFromCode('360121')).toBe('county');
    expect(kindFromCode('360121001')).toBe('township');
    expect(kindFromCode('360121001001')).toBe('village');
    expect(kindFromCode('360121D01')).toBe('unit');
    expect(kindFromCode('360121001C')).toBe('unit');
    expect(kindFromCode('abc')).toBeNull();
  });
});
