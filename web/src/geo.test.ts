import { describe, expect, it } from 'vitest';
import type { Geometry } from './api.ts';
import {
  aspectOf,
  bboxOf,
  containsPoint,
  distanceMetres,
  fitProjection,
  labelPoint,
  pathData,
  pathLength,
  scaleBar,
  tilesFor,
} from './geo.ts';

// A 0.01° × 0.01° square near Nanchang County (28.5° N): about 978 m wide and 1,113 m tall.
const square: Geometry = {
  type: 'Polygon',
  coordinates: [
    [
      [115.9, 28.5],
      [115.91, 28.5],
      [115.91, 28.51],
      [115.9, 28.51],
      [115.9, 28.5],
    ],
  ],
};

describe('grid map projection', () => {
  it('finds the bounding box of polygons and multipolygons', () => {
    const multi: Geometry = { type: 'MultiPolygon', coordinates: [square.coordinates as number[][][]] };
    expect(bboxOf([square, multi])).toEqual({ minLon: 115.9, minLat: 28.5, maxLon: 115.91, maxLat: 28.51 });
    expect(bboxOf([])).toBeNull();
  });

  it('shrinks longitude by cos(latitude), so a square in degrees is taller than wide', () => {
    const bbox = bboxOf([square])!;
    expect(aspectOf(bbox)).toBeCloseTo(1 / Math.cos(28.505 * (Math.PI / 180)), 3);
  });

  it('fits the box inside the padding, centred, north up', () => {
    const bbox = bboxOf([square])!;
    const p = fitProjection(bbox, 400, 300, 10);
    const [x0, y0] = p.project([115.9, 28.51]); // north-west corner
    const [x1, y1] = p.project([115.91, 28.5]); // south-east corner
    expect(y0).toBeCloseTo(10, 6);
    expect(y1).toBeCloseTo(290, 6);
    expect((x0 + x1) / 2).toBeCloseTo(200, 6);
    expect(x1 - x0).toBeCloseTo(280 * Math.cos(28.505 * (Math.PI / 180)), 6);
    // 280 px for 0.01° of latitude ≈ 1,113 m.
    expect(p.pxPerMetre).toBeCloseTo(280 / 1113.2, 4);
  });

  it('writes one closed subpath per ring, skipping rings with fewer than 3 points', () => {
    const p = fitProjection(bboxOf([square])!, 100, 100, 0);
    const d = pathData(square, p);
    expect(d.startsWith('M')).toBe(true);
    expect(d.match(/Z/g)).toHaveLength(1);
    const broken: Geometry = { type: 'Polygon', coordinates: [[[115.9, 28.5]]] };
    expect(pathData(broken, p)).toBe('');
  });

  it('labels a polygon at its centroid and a multipolygon at its largest part', () => {
    expect(labelPoint(square)![0]).toBeCloseTo(115.905, 9);
    expect(labelPoint(square)![1]).toBeCloseTo(28.505, 9);
    const tiny = [
      [116, 29],
      [116.001, 29],
      [116.001, 29.001],
      [116, 29],
    ];
    const multi: Geometry = {
      type: 'MultiPolygon',
      coordinates: [[tiny], square.coordinates as number[][][]],
    };
    expect(labelPoint(multi)![0]).toBeCloseTo(115.905, 9);
  });

  it('picks a round scale-bar length that fits', () => {
    expect(scaleBar(0.25, 100)).toEqual({ metres: 200, px: 50 }); // 400 m would not fit; 200 m is 1-2-5 round
    expect(scaleBar(0.1, 120)).toEqual({ metres: 1000, px: 100 });
    expect(scaleBar(0, 100)).toBeNull();
  });
});

describe('taps, distances and containment', () => {
  it('turns a tap back into the longitude and latitude it shows', () => {
    const proj = fitProjection(bboxOf([square])!, 300, 300, 20);
    for (const p of [
      [115.9, 28.5],
      [115.905, 28.507],
      [115.91, 28.51],
    ]) {
      const [x, y] = proj.project(p);
      const [lon, lat] = proj.unproject(x, y);
      expect(lon).toBeCloseTo(p[0]!, 9);
      expect(lat).toBeCloseTo(p[1]!, 9);
    }
  });

  it('measures walked distances in metres', () => {
    // 0.01° of latitude is about 1,112 m anywhere.
    expect(distanceMetres([115.9, 28.5], [115.9, 28.51])).toBeGreaterThan(1105);
    expect(distanceMetres([115.9, 28.5], [115.9, 28.51])).toBeLessThan(1115);
    expect(pathLength([[115.9, 28.5]])).toBe(0);
    const there = distanceMetres([115.9, 28.5], [115.91, 28.5]);
    expect(
      pathLength([
        [115.9, 28.5],
        [115.91, 28.5],
        [115.9, 28.5],
      ]),
    ).toBeCloseTo(2 * there, 6);
  });

  it('tells whether a point is inside a grid', () => {
    expect(containsPoint(square, [115.905, 28.505])).toBe(true);
    expect(containsPoint(square, [115.92, 28.505])).toBe(false);
  });
});

describe('map tiles under a drawing', () => {
  const bbox = { minLon: 115.9, minLat: 28.5, maxLon: 115.93, maxLat: 28.53 };
  const proj = fitProjection(bbox, 600, 600, 0);

  it('covers the whole drawing with tiles of about 256 px, in {z}/{x}/{y} order', () => {
    const tiles = tilesFor(proj, 'https://tiles.example/{z}/{x}/{y}.png');
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.length).toBeLessThanOrEqual(36);
    expect(Math.min(...tiles.map((t) => t.x))).toBeLessThanOrEqual(0);
    expect(Math.min(...tiles.map((t) => t.y))).toBeLessThanOrEqual(0);
    expect(Math.max(...tiles.map((t) => t.x + t.width))).toBeGreaterThanOrEqual(600);
    expect(Math.max(...tiles.map((t) => t.y + t.height))).toBeGreaterThanOrEqual(600);
    for (const t of tiles) {
      expect(t.width).toBeGreaterThan(128);
      expect(t.width).toBeLessThan(512);
      expect(t.href).toMatch(/^https:\/\/tiles\.example\/\d+\/\d+\/\d+\.png$/);
    }
    // At zoom z the tile holding Nanchang county's seat is x = floor((115.9 + 180) / 360 · 2^z).
    const z = Number(/\/(\d+)\//.exec(tiles[0]!.href)![1]);
    const x0 = Math.floor(((115.9 + 180) / 360) * 2 ** z);
    expect(tiles.some((t) => t.href.includes(`/${z}/${x0}/`))).toBe(true);
  });

  it('never asks for more tiles than allowed (zooms out instead)', () => {
    const wide = fitProjection({ minLon: 115, minLat: 28, maxLon: 117, maxLat: 29.5 }, 4000, 3000, 0);
    expect(tilesFor(wide, 'https://t/{z}/{x}/{y}', 20).length).toBeLessThanOrEqual(20);
  });
});
