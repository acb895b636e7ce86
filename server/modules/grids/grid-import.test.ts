import { describe, expect, it } from 'vitest';
import { parseGridGeoJson } from './grid-import.ts';

const known = { villageIds: new Set(['360121001001', '360121001002']) };

function square(x: number, y: number, d = 0.01) {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x, y],
        [x + d, y],
        [x + d, y + d],
        [x, y + d],
        [x, y],
      ],
    ],
  };
}

function feature(code: unknown, name: unknown, geometry: unknown = square(116, 28), extra = {}) {
  return { type: 'Feature', properties: { code, name, ...extra }, geometry };
}

const collection = (...features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });

function errorsOf(text: string) {
  const r = parseGridGeoJson(text, known);
  expect(r.rows).toEqual([]);
  return r.errors;
}

describe('parseGridGeoJson — valid files', () => {
  it('parses polygons and multipolygons, with or without village_code, numeric codes and a BOM', () => {
    const multi = {
      type: 'MultiPolygon',
      coordinates: [square(116, 28).coordinates, square(116.1, 28).coordinates],
    };
    const text = `\uFEFF${collection(
      feature('360121001001001', '象南社区第1网格', square(116, 28), { village_code: '360121001001' }),
      feature(360121001001002, ' 象南社区第2网格 ', multi),
      { ...feature('360121001002001', '象北社区第1网格'), id: 7, bbox: [0, 0, 1, 1] },
    )}`;
    const r = parseGridGeoJson(text, known);
    expect(r.errors).toEqual([]);
    expect(r.rows.map((g) => [g.id, g.villageId, g.name, g.geometry.type])).toEqual([
      ['360121001001001', '360121001001', '象南社区第1网格', 'Polygon'],
      ['360121001001002', '360121001001', '象南社区第2网格', 'MultiPolygon'],
      ['360121001002001', '360121001002', '象北社区第1网格', 'Polygon'],
    ]);
    expect(r.rows[0]!.geometry).toEqual(square(116, 28));
  });

  it('drops foreign members of the geometry', () => {
    const g = { ...square(116, 28), bbox: [116, 28, 116.01, 28.01], crs: 'x' };
    const r = parseGridGeoJson(collection(feature('360121001001001', '网格', g)), known);
    expect(Object.keys(r.rows[0]!.geometry).sort()).toEqual(['coordinates', 'type']);
  });
});

describe('parseGridGeoJson — errors', () => {
  it('rejects invalid JSON, non-collections and empty collections with line 0', () => {
    for (const text of ['{not json', '[]', 'null', JSON.stringify({ type: 'Feature' })]) {
      const errors = errorsOf(text);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.line).toBe(0);
    }
    expect(errorsOf('{')[0]!.reason).toMatch(/^文件不是有效的 JSON/);
    expect(errorsOf('{"type":"FeatureCollection"}')[0]!.reason).toBe(
      '文件必须是 GeoJSON FeatureCollection（含 features 数组）',
    );
    expect(errorsOf(collection())).toEqual([{ line: 0, reason: 'FeatureCollection 中没有任何要素' }]);
  });

  it('checks codes, village codes and known villages', () => {
    const errors = errorsOf(
      collection(
        feature(undefined, '缺编码'),
        feature('36012100100100', '短编码'),
        feature('360121001001001', '对', square(116, 28), { village_code: '360121001002' }),
        feature('360121009001001', '未知村'),
        feature('36012100100100A', '字母'),
      ),
    );
    expect(errors).toEqual([
      { line: 1, reason: '要素 #1：缺少网格编码 properties.code' },
      { line: 2, reason: '要素 #2：网格编码 36012100100100 必须是 15 位数字' },
      {
        line: 3,
        reason: '要素 #3：村（社区）编码 village_code 360121001002 与网格编码前 12 位 360121001001 不一致',
      },
      { line: 4, reason: '要素 #4：所属村（社区）360121009001 不存在' },
      { line: 5, reason: '要素 #5：网格编码 36012100100100A 必须是 15 位数字' },
    ]);
  });

  it('reports duplicates against the first feature', () => {
    const errors = errorsOf(
      collection(
        feature('360121001001001', '一'),
        feature('360121001001002', '二'),
        feature('360121001001001', '三'),
      ),
    );
    expect(errors).toEqual([{ line: 3, reason: '要素 #3：网格编码 360121001001001 与要素 #1 重复' }]);
  });

  it('checks names', () => {
    const errors = errorsOf(
      collection(
        feature('360121001001001', ''),
        feature('360121001001002', 12),
        feature('360121001001003', '网'.repeat(101)),
        feature('360121001001004', '网\n格'),
      ),
    );
    expect(errors.map((e) => e.reason)).toEqual([
      '要素 #1：缺少网格名称 properties.name',
      '要素 #2：缺少网格名称 properties.name',
      '要素 #3：网格名称不能超过 100 个字',
      '要素 #4：网格名称含有控制字符',
    ]);
  });

  it('validates geometry through validateGeometry', () => {
    const open = square(116, 28);
    open.coordinates[0]!.pop();
    const bowtie = {
      type: 'Polygon',
      coordinates: [
        [
          [116, 28],
          [116.01, 28.01],
          [116.01, 28],
          [116, 28.01],
          [116, 28],
        ],
      ],
    };
    const errors = errorsOf(
      collection(
        feature('360121001001001', '一', null),
        feature('360121001001002', '二', { type: 'Point', coordinates: [116, 28] }),
        feature('360121001001003', '三', open),
        feature('360121001001004', '四', bowtie),
        feature('360121001001005', '五', square(500000, 3100000)),
      ),
    );
    expect(errors.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
    expect(errors[0]!.reason).toBe('要素 #1：缺少几何 geometry');
    expect(errors[1]!.reason).toBe('要素 #2：几何类型必须是 Polygon 或 MultiPolygon');
    expect(errors[2]!.reason).toMatch(/^要素 #3：坐标环未闭合/);
    expect(errors[3]!.reason).toMatch(/^要素 #4：多边形自相交/);
    expect(errors[4]!.reason).toMatch(/^要素 #5：经度超出范围/);
  });

  it('reports every bad feature, several per feature, and returns no rows', () => {
    const r = parseGridGeoJson(
      collection(
        feature('360121001001001', '好'),
        'not a feature',
        feature('360121009001001', '', { type: 'Point' }),
        feature('360121001001002', '好'),
        { type: 'Feature', geometry: square(116, 28) },
      ),
      known,
    );
    expect(r.rows).toEqual([]);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 3, 3, 5, 5]);
    expect(r.errors[0]!.reason).toBe('要素 #2：不是 GeoJSON Feature');
    expect(r.errors.slice(1, 4).map((e) => e.reason)).toEqual([
      '要素 #3：所属村（社区）360121009001 不存在',
      '要素 #3：缺少网格名称 properties.name',
      '要素 #3：几何类型必须是 Polygon 或 MultiPolygon',
    ]);
  });
});
