import { describe, expect, it } from 'vitest';
import {
  bboxOf,
  centroidOf,
  GridIndex,
  geometryAreaDeg2,
  geometryAreaM2,
  type MultiPolygon,
  type Polygon,
  pointInGeometry,
  ringAreaDeg2,
  ringSelfIntersects,
  validateGeometry,
} from './geometry.ts';

function rect(x0: number, y0: number, x1: number, y1: number): number[][] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
}

const square: Polygon = { type: 'Polygon', coordinates: [rect(116, 28, 116.01, 28.01)] };
const withHole: Polygon = {
  type: 'Polygon',
  coordinates: [rect(0, 0, 10, 10), rect(4, 4, 6, 6).reverse()],
};
const multi: MultiPolygon = {
  type: 'MultiPolygon',
  coordinates: [[rect(0, 0, 1, 1)], [rect(5, 5, 7, 6)]],
};

function reasonOf(g: unknown): string {
  const r = validateGeometry(g);
  return r.ok ? 'ok' : r.reason;
}

describe('validateGeometry', () => {
  it('accepts polygons, polygons with holes and multipolygons', () => {
    for (const g of [square, withHole, multi]) {
      const r = validateGeometry(g);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.geometry).toBe(g);
    }
  });

  it('accepts repeated consecutive points and a concave ring', () => {
    const ring = [
      [0, 0],
      [4, 0],
      [4, 0],
      [4, 4],
      [2, 1],
      [0, 4],
      [0, 0],
    ];
    expect(reasonOf({ type: 'Polygon', coordinates: [ring] })).toBe('ok');
  });

  it('rejects other types and shapes', () => {
    expect(reasonOf(null)).toBe('几何对象必须是 GeoJSON 对象');
    expect(reasonOf({ type: 'Point', coordinates: [1, 2] })).toBe('几何类型必须是 Polygon 或 MultiPolygon');
    expect(reasonOf({ type: 'Polygon' })).toBe('缺少坐标数组 coordinates');
    expect(reasonOf({ type: 'Polygon', coordinates: [] })).toContain('多边形至少需要一个外环');
    expect(reasonOf({ type: 'MultiPolygon', coordinates: [] })).toContain('至少需要一个多边形');
  });

  it('rejects bad positions', () => {
    const bad = (pos: unknown) => {
      const ring: unknown[] = rect(0, 0, 1, 1);
      ring[1] = pos;
      return reasonOf({ type: 'Polygon', coordinates: [ring] });
    };
    expect(bad(['1', 0])).toContain('坐标必须是数字');
    expect(bad([Number.NaN, 0])).toContain('坐标必须是数字');
    expect(bad([181, 0])).toContain('经度超出范围');
    expect(bad([1, -91])).toContain('纬度超出范围');
    expect(bad([1])).toContain('坐标必须是 [经度, 纬度] 数组');
  });

  it('rejects open, short and degenerate rings, with the ring named', () => {
    const open = rect(0, 0, 1, 1).slice(0, 4);
    expect(reasonOf({ type: 'Polygon', coordinates: [open] })).toBe('坐标环未闭合（第 1 个环）');
    const short = [
      [0, 0],
      [1, 0],
      [0, 0],
    ];
    expect(reasonOf({ type: 'Polygon', coordinates: [rect(0, 0, 9, 9), short] })).toBe(
      '坐标环至少需要 4 个点（第 2 个环）',
    );
    const degenerate = [
      [0, 0],
      [1, 0],
      [1, 0],
      [0, 0],
    ];
    expect(reasonOf({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [degenerate]] })).toBe(
      '坐标环退化（不足 3 个不同的点）（第 2 个多边形第 1 个环）',
    );
  });

  it('rejects self-intersecting rings', () => {
    const bowtie = [
      [0, 0],
      [1, 1],
      [1, 0],
      [0, 1],
      [0, 0],
    ];
    expect(reasonOf({ type: 'Polygon', coordinates: [bowtie] })).toContain('多边形自相交');
    // Touching itself at a vertex (figure eight through (1,1)).
    const eight = [
      [0, 0],
      [1, 1],
      [2, 0],
      [2, 2],
      [1, 1],
      [0, 2],
      [0, 0],
    ];
    expect(reasonOf({ type: 'Polygon', coordinates: [eight] })).toContain('多边形自相交');
    // A spike folding back along its own edge.
    const spike = [
      [0, 0],
      [2, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    expect(reasonOf({ type: 'Polygon', coordinates: [spike] })).toContain('多边形自相交');
  });

  it('checks a large simple ring (a 5,000-gon) without false positives', () => {
    const n = 5000;
    const ring = Array.from({ length: n }, (_, i) => [
      Math.cos((2 * Math.PI * i) / n),
      Math.sin((2 * Math.PI * i) / n),
    ]);
    ring.push(ring[0]!);
    expect(ringSelfIntersects(ring)).toBe(false);
    const crossed = ring.slice();
    [crossed[10], crossed[4000]] = [crossed[4000]!, crossed[10]!];
    expect(ringSelfIntersects(crossed)).toBe(true);
  });
});

describe('measures', () => {
  it('computes bounding boxes', () => {
    expect(bboxOf(square)).toEqual([116, 28, 116.01, 28.01]);
    expect(bboxOf(multi)).toEqual([0, 0, 7, 6]);
  });

  it('tests points with holes and multipolygons', () => {
    expect(pointInGeometry(1, 1, withHole)).toBe(true);
    expect(pointInGeometry(5, 5, withHole)).toBe(false);
    expect(pointInGeometry(11, 5, withHole)).toBe(false);
    expect(pointInGeometry(0.5, 0.5, multi)).toBe(true);
    expect(pointInGeometry(6, 5.5, multi)).toBe(true);
    expect(pointInGeometry(3, 3, multi)).toBe(false);
  });

  it('assigns shared edges of adjacent rectangles to exactly one of them', () => {
    const left: Polygon = { type: 'Polygon', coordinates: [rect(0, 0, 1, 1)] };
    const right: Polygon = { type: 'Polygon', coordinates: [rect(1, 0, 2, 1)] };
    const top: Polygon = { type: 'Polygon', coordinates: [rect(0, 1, 1, 2)] };
    const topRight: Polygon = { type: 'Polygon', coordinates: [rect(1, 1, 2, 2)] };
    for (const [x, y] of [
      [1, 0.5],
      [0.5, 1],
      [1, 1],
      [1, 1.5],
      [1.5, 1],
    ] as const) {
      const hits = [left, right, top, topRight].filter((g) => pointInGeometry(x, y, g)).length;
      expect(hits).toBe(1);
    }
  });

  it('computes signed planar and spherical areas', () => {
    expect(ringAreaDeg2(rect(0, 0, 2, 3))).toBeCloseTo(6, 12);
    expect(ringAreaDeg2(rect(0, 0, 2, 3).reverse())).toBeCloseTo(-6, 12);
    expect(geometryAreaDeg2(withHole)).toBeCloseTo(96, 12);
    // One degree square at the equator ≈ 111.2 km × 111.2 km.
    const equator: Polygon = { type: 'Polygon', coordinates: [rect(0, 0, 1, 1)] };
    expect(geometryAreaM2(equator) / 1e6).toBeCloseTo(12363.7, 0);
    // Shrinks with cos(latitude).
    const north: Polygon = { type: 'Polygon', coordinates: [rect(0, 60, 1, 61)] };
    expect(geometryAreaM2(north) / geometryAreaM2(equator)).toBeCloseTo(Math.cos((60.5 * Math.PI) / 180), 3);
    expect(geometryAreaM2(withHole)).toBeLessThan(
      geometryAreaM2({ type: 'Polygon', coordinates: [withHole.coordinates[0]!] }),
    );
  });

  it('computes centroids regardless of winding, with holes and parts', () => {
    expect(centroidOf(square)[0]).toBeCloseTo(116.005, 9);
    expect(centroidOf(square)[1]).toBeCloseTo(28.005, 9);
    const cw: Polygon = { type: 'Polygon', coordinates: [rect(0, 0, 2, 2).reverse()] };
    expect(centroidOf(cw)).toEqual([1, 1]);
    const offCentreHole: Polygon = { type: 'Polygon', coordinates: [rect(0, 0, 4, 4), rect(2, 0, 4, 4)] };
    expect(centroidOf(offCentreHole)[0]).toBeCloseTo(1, 12);
    const [x, y] = centroidOf(multi);
    // Area 1 at (0.5, 0.5) and area 2 at (6, 5.5).
    expect(x).toBeCloseTo((0.5 + 12) / 3, 12);
    expect(y).toBeCloseTo((0.5 + 11) / 3, 12);
  });
});

describe('GridIndex', () => {
  it('finds nothing in an empty index', () => {
    const index = new GridIndex([]);
    expect(index.size).toBe(0);
    expect(index.locate(116, 28)).toBeNull();
  });

  it('locates points among overlapping bounding boxes by exact shape', () => {
    // An L-shape whose bounding box covers the small square at its inner corner.
    const l: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [2, 0],
          [2, 1],
          [1, 1],
          [1, 2],
          [0, 2],
          [0, 0],
        ],
      ],
    };
    const corner: Polygon = { type: 'Polygon', coordinates: [rect(1, 1, 2, 2)] };
    const index = new GridIndex([
      { id: 'L', geometry: l },
      { id: 'C', geometry: corner },
      { id: 'H', geometry: withHole },
    ]);
    expect(index.locate(0.5, 1.5)).toBe('L');
    expect(index.locate(1.5, 1.5)).toBe('C');
    expect(index.locate(5, 5)).toBeNull();
    expect(index.locate(8, 8)).toBe('H');
    expect(index.locateAll(1.5, 0.5)).toEqual(['L', 'H']);
    expect(index.locate(1.5, 0.5)).toBe('L');
    expect(index.locate(-1, -1)).toBeNull();
    expect(index.locate(Number.NaN, 1)).toBeNull();
  });

  it('handles 100,000 tiny squares', () => {
    const side = 1e-3;
    const n = 100_000;
    const cols = 400;
    const items = Array.from({ length: n }, (_, k) => {
      const x = 115 + (k % cols) * side;
      const y = 28 + Math.floor(k / cols) * side;
      return {
        id: `g${k}`,
        geometry: { type: 'Polygon', coordinates: [rect(x, y, x + side, y + side)] } as Polygon,
      };
    });
    const index = new GridIndex(items);
    expect(index.size).toBe(n);
    for (const k of [0, 1, 399, 400, 12_345, 54_321, 99_999]) {
      const x = 115 + (k % cols) * side + side * 0.3;
      const y = 28 + Math.floor(k / cols) * side + side * 0.7;
      expect(index.locate(x, y)).toBe(`g${k}`);
    }
    expect(index.locate(114.9, 28.1)).toBeNull();
    expect(index.locate(115.2, 28 + (n / cols) * side + 0.01)).toBeNull();
  });
});
