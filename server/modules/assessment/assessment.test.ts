import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCentre,
  createDepartment,
  createStaff,
  createTownship,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';
import { addRollupBatch } from '../../engine/rollups.ts';
import { computeFigures, DEFAULT_WEIGHTS } from './assessment.service.ts';

/**
 * Assessment figures from rollup rows with known values (added through the engine's upsert, day
 * and monthly rows); every rate and score below is computed by hand from those rows.
 */
let env: TestEnv;
let t1: string;
let t2: string;
let t3: string;
let v1: string;
let v2: string;
let v3: string;
let v4: string;
let d1: string;
let d2: string;
let leader: StaffSession;
let admin: StaffSession;
let townDispatcher: StaffSession;
let deptLeader: StaffSession;
let countyDispatcher: StaffSession;
let gridWorker: StaffSession;

const FROM = '2026-03-01';
const TO = '2026-03-31';
const PERIOD = `from=${FROM}&to=${TO}`;

/**
 * Inserts rollup rows for one place, unit and day: `metrics` are `name: value` without the type.
 * Closings count for the closure rate on the day their cases were received (`closed_cohort`); unless
 * a test says otherwise, the cases closed here are taken to have been received on the same day.
 */
async function rollup(
  day: string,
  place: { locId: string; locPath: string },
  unitId: string,
  given: Record<string, number>,
  type = 'appeal',
) {
  const metrics =
    given.closed && given.closed_cohort === undefined ? { ...given, closed_cohort: given.closed } : given;
  // Through the engine's own upsert, so the monthly rollups get the same deltas.
  await addRollupBatch(env.ctx.database.db, COUNTY, [
    {
      day,
      attr: { ...place, unitId, categoryRoot: 'C01' },
      metrics: Object.fromEntries(
        Object.entries(metrics).map(([metric, value]) => [`${type}:${metric}`, value]),
      ),
    },
  ]);
}

const village = (townshipId: string, villageId: string) => ({
  locId: villageId,
  locPath: `/${COUNTY}/${townshipId}/${villageId}/`,
});

function put(s: StaffSession | null, url: string, payload: unknown, csrf = true) {
  return env.app.inject({
    method: 'PUT',
    url,
    headers: s ? { cookie: s.cookie, ...(csrf ? { 'x-csrf-token': s.csrf } : {}) } : {},
    payload: payload as object,
  });
}

beforeAll(async () => {
  env = await createTestEnv();
  t1 = await createTownship(env.ctx);
  t2 = await createTownship(env.ctx);
  t3 = await createTownship(env.ctx);
  v1 = await createVillage(env.ctx, { townshipId: t1 });
  v2 = await createVillage(env.ctx, { townshipId: t1 });
  v3 = await createVillage(env.ctx, { townshipId: t2 });
  v4 = await createVillage(env.ctx, { townshipId: t3 });
  d1 = await createDepartment(env.ctx);
  d2 = await createDepartment(env.ctx);

  // Township 1, village 1, led by the village itself.
  await rollup('2026-03-05', village(t1, v1), v1, {
    received: 40,
    dispatched: 20,
    response_ok: 15,
    closed: 36,
    closed_on_time: 30,
    rated: 25,
    resolved: 20,
    satisfied: 15,
    basically_satisfied: 5,
    unsatisfied: 5,
    redo: 2,
    extension: 1,
    returned: 3,
    overdue_reply: 2,
    overdue_sign: 1,
    whistles: 2,
    whistled_departments: 2,
  });
  // Township 1, village 2, led by department 1; department 1 answered two whistles there.
  await rollup('2026-03-20', village(t1, v2), d1, {
    received: 10,
    dispatched: 10,
    response_ok: 6,
    closed: 9,
    closed_on_time: 9,
    rated: 5,
    resolved: 4,
    satisfied: 3,
    basically_satisfied: 1,
    unsatisfied: 1,
    returned: 1,
    whistle_reports: 2,
    whistle_report_minutes: 50,
    whistle_reports_late: 1,
    whistle_ratings: 2,
    whistle_rating_sum: 9,
  });
  // Township 2: perfect, led by department 2.
  await rollup('2026-03-10', village(t2, v3), d2, {
    received: 20,
    dispatched: 20,
    response_ok: 20,
    closed: 20,
    closed_on_time: 20,
    rated: 10,
    resolved: 10,
    satisfied: 10,
  });
  // Township 3: received only — every rate but closure has no denominator.
  await rollup('2026-03-15', village(t3, v4), v4, { received: 3 });
  // The county itself (no township): counts for the county, in no township's row.
  await rollup('2026-03-15', { locId: COUNTY, locPath: `/${COUNTY}/` }, '', { received: 5, closed: 5 });
  // Outside the period, and another case type: never counted in March's appeals.
  await rollup('2026-02-28', village(t1, v1), v1, { received: 100, closed: 100 });
  await rollup('2026-04-01', village(t1, v1), v1, { received: 100, closed: 100 });
  await rollup('2026-03-05', village(t1, v1), v1, { received: 7, closed: 6 }, 'event');

  leader = await createStaff(env, 'leader');
  admin = await createStaff(env, 'admin');
  townDispatcher = await createStaff(env, 'township_dispatcher', { orgId: await createCentre(env.ctx, t1) });
  deptLeader = await createStaff(env, 'leader', { orgId: d1 });
  countyDispatcher = await createStaff(env, 'county_dispatcher');
  gridWorker = await createStaff(env, 'grid_worker', { orgId: v1 });
});
afterAll(() => env.close());

/** Township 1 by hand (villages 1 and 2). */
const T1 = {
  counts: {
    received: 50,
    dispatched: 30,
    responseOk: 21,
    closed: 45,
    closedOnTime: 39,
    rated: 30,
    resolved: 24,
    satisfied: 18,
    basicallySatisfied: 6,
    unsatisfied: 6,
    redo: 2,
    extension: 1,
    returned: 4,
    overdue: 3,
  },
  rates: {
    closure: 45 / 50,
    response: 21 / 30,
    resolution: 24 / 30,
    satisfaction: (18 + 0.8 * 6) / 30, // 0.76
    onTime: 39 / 45,
    redo: 2 / 30,
    extension: 1 / 30,
    return: 4 / 30,
  },
  // 30 % × 0.7 + 35 % × 0.8 + 35 % × 0.76
  score: 75.6,
};

function expectRates(actual: Record<string, number | null>, expected: Record<string, number | null>) {
  for (const [k, v] of Object.entries(expected)) {
    if (v === null) expect(actual[k], k).toBeNull();
    else expect(actual[k], k).toBeCloseTo(v, 10);
  }
}

describe('GET /api/assessment/summary', () => {
  it('computes every count and rate of a township, and the composite score 30/35/35', async () => {
    const res = await as(env, leader).get(`/api/assessment/summary?${PERIOD}&orgId=${t1}`);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({ org: { id: t1, kind: 'township' }, view: 'territory', from: FROM, to: TO });
    expect(s.type).toBe('appeal');
    expect(s.counts).toMatchObject(T1.counts);
    expect(s.overdueByStage).toEqual({ reply: 2, sign: 1 });
    expectRates(s.rates, T1.rates);
    expect(s.score).toBeCloseTo(T1.score, 10);
    expect(s.whistle).toEqual({
      whistles: 2,
      whistledDepartments: 2,
      reports: 2,
      lateReports: 1,
      meanReportMinutes: 25,
      ratings: 2,
      meanRating: 4.5,
    });
    expect(s.weights).toEqual(DEFAULT_WEIGHTS);
  });

  it('computes a village on its own', async () => {
    const s = (await as(env, leader).get(`/api/assessment/summary?${PERIOD}&orgId=${v1}`)).json();
    expect(s.org).toMatchObject({ id: v1, kind: 'village' });
    expect(s.counts).toMatchObject({ received: 40, dispatched: 20, rated: 25 });
    expectRates(s.rates, {
      closure: 36 / 40,
      response: 15 / 20,
      resolution: 20 / 25,
      satisfaction: (15 + 0.8 * 5) / 25,
      onTime: 30 / 36,
      redo: 2 / 20,
      extension: 1 / 20,
      return: 3 / 20,
    });
    // 30 % × 0.75 + 35 % × 0.8 + 35 % × 0.76
    expect(s.score).toBeCloseTo(77.1, 10);
  });

  it('answers null rates (never NaN) and a null score when the denominators are 0', async () => {
    const res = await as(env, leader).get(`/api/assessment/summary?${PERIOD}&orgId=${t3}`);
    const s = res.json();
    expect(res.body).not.toMatch(/NaN/);
    expect(s.counts.received).toBe(3);
    expectRates(s.rates, {
      closure: 0,
      response: null,
      resolution: null,
      satisfaction: null,
      onTime: null,
      redo: null,
      extension: null,
      return: null,
    });
    expect(s.score).toBeNull();
    expect(s.whistle.meanReportMinutes).toBeNull();
    expect(s.whistle.meanRating).toBeNull();
  });

  it('gives the county as a whole by default for a county leader, period ends included', async () => {
    const s = (await as(env, leader).get(`/api/assessment/summary?${PERIOD}`)).json();
    expect(s.org).toMatchObject({ id: COUNTY, kind: 'county' });
    // 50 (township 1) + 20 (township 2) + 3 (township 3) + 5 (county); February and April left out.
    expect(s.counts.received).toBe(78);
    expect(s.counts.closed).toBe(45 + 20 + 5);
    expect(s.rates.closure).toBeCloseTo(70 / 78, 10);
    const oneDay = (
      await as(env, leader).get(`/api/assessment/summary?from=2026-02-28&to=2026-02-28`)
    ).json();
    expect(oneDay.counts.received).toBe(100);
  });

  it('measures closure on the cases received in the period, so it never passes 100 %', async () => {
    // Village 4 (township 3): 4 cases received on 1 May, 3 of them closed on 20 May.
    const place = village(t3, v4);
    await rollup('2026-05-01', place, v4, { received: 4, closed_cohort: 3 });
    await rollup('2026-05-20', place, v4, { closed: 3, closed_cohort: 0 });
    const q = (from: string, to: string) =>
      as(env, leader)
        .get(`/api/assessment/summary?from=${from}&to=${to}&orgId=${v4}`)
        .then((r) => r.json());
    const may1 = await q('2026-05-01', '2026-05-01');
    expect(may1.counts).toMatchObject({ received: 4, closed: 0, closedCohort: 3 });
    expect(may1.rates.closure).toBe(0.75);
    // On the closing day nothing arrived: 3 closings, but no closure rate (not "300 %").
    const may20 = await q('2026-05-20', '2026-05-20');
    expect(may20.counts).toMatchObject({ received: 0, closed: 3 });
    expect(may20.rates.closure).toBeNull();
    expect((await q('2026-05-01', '2026-05-31')).rates.closure).toBe(0.75);
  });

  it('counts another case type apart', async () => {
    const s = (await as(env, leader).get(`/api/assessment/summary?${PERIOD}&orgId=${v1}&type=event`)).json();
    expect(s.type).toBe('event');
    expect(s.counts.received).toBe(7);
    expect(s.rates.closure).toBeCloseTo(6 / 7, 10);
  });

  it('shows a department what it led or was whistled to (unit view)', async () => {
    const res = await as(env, leader).get(`/api/assessment/summary?${PERIOD}&orgId=${d1}`);
    const s = res.json();
    expect(s).toMatchObject({ org: { id: d1, kind: 'department' }, view: 'unit' });
    expect(s.counts).toMatchObject({ received: 10, dispatched: 10, closed: 9, rated: 5, returned: 1 });
    expectRates(s.rates, {
      closure: 0.9,
      response: 0.6,
      resolution: 0.8,
      satisfaction: (3 + 0.8) / 5,
      onTime: 1,
      redo: 0,
      extension: 0,
      return: 0.1,
    });
    // 30 % × 0.6 + 35 % × 0.8 + 35 % × 0.76
    expect(s.score).toBeCloseTo(72.6, 10);
    expect(s.whistle).toMatchObject({ reports: 2, meanReportMinutes: 25, lateReports: 1, meanRating: 4.5 });
  });
});

describe('scope', () => {
  it('gives a township dispatcher their township, and villages in it', async () => {
    const own = (await as(env, townDispatcher).get(`/api/assessment/summary?${PERIOD}`)).json();
    expect(own.org.id).toBe(t1);
    expect(own.counts).toMatchObject(T1.counts);
    expect(own.score).toBeCloseTo(T1.score, 10);
    const v = await as(env, townDispatcher).get(`/api/assessment/summary?${PERIOD}&orgId=${v2}`);
    expect(v.statusCode).toBe(200);
    expect(v.json().counts.received).toBe(10);
  });

  it('answers 404 for an org outside the jurisdiction, like a missing one', async () => {
    for (const orgId of [t2, v3, d1, COUNTY, `${COUNTY}999`]) {
      const res = await as(env, townDispatcher).get(`/api/assessment/summary?${PERIOD}&orgId=${orgId}`);
      expect(res.statusCode, orgId).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('ranks only inside the township for a township dispatcher', async () => {
    const byTown = (
      await as(env, townDispatcher).get(`/api/assessment/rankings?${PERIOD}&by=township`)
    ).json();
    expect(byTown.items.map((i: { org: { id: string } }) => i.org.id)).toEqual([t1]);
    expect(byTown.items[0].counts.received).toBe(50);
    // Departments working in the township, with their figures there only.
    const byDept = (
      await as(env, townDispatcher).get(`/api/assessment/rankings?${PERIOD}&by=department`)
    ).json();
    expect(byDept.items.map((i: { org: { id: string } }) => i.org.id)).toEqual([d1]);
    expect(byDept.items[0].counts.received).toBe(10);
  });

  it('gives a department leader their department only', async () => {
    const s = (await as(env, deptLeader).get(`/api/assessment/summary?${PERIOD}`)).json();
    expect(s).toMatchObject({ org: { id: d1 }, view: 'unit' });
    expect(s.counts.received).toBe(10);
    expect(s.score).toBeCloseTo(72.6, 10);
    const other = await as(env, deptLeader).get(`/api/assessment/summary?${PERIOD}&orgId=${d2}`);
    expect(other.statusCode).toBe(404);
    const townRes = await as(env, deptLeader).get(`/api/assessment/summary?${PERIOD}&orgId=${t1}`);
    expect(townRes.statusCode).toBe(404);
    const ranks = (await as(env, deptLeader).get(`/api/assessment/rankings?${PERIOD}&by=department`)).json();
    expect(ranks.items.map((i: { org: { id: string } }) => i.org.id)).toEqual([d1]);
    // By township: where the department worked (township 1 only).
    const byTown = (await as(env, deptLeader).get(`/api/assessment/rankings?${PERIOD}&by=township`)).json();
    expect(byTown.items.map((i: { org: { id: string } }) => i.org.id)).toEqual([t1]);
    expect(byTown.items[0].counts.received).toBe(10);
  });
});

describe('GET /api/assessment/rankings', () => {
  it('sorts townships by composite score, unscored last (most received first)', async () => {
    const res = await as(env, leader).get(`/api/assessment/rankings?${PERIOD}&by=township`);
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    const ids = r.items.map((i: { org: { id: string } }) => i.org.id);
    expect(ids.slice(0, 3)).toEqual([t2, t1, t3]);
    expect(r.items.map((i: { rank: number }) => i.rank)).toEqual(ids.map((_: string, k: number) => k + 1));
    const [first, second, third] = r.items;
    expect(first.score).toBeCloseTo(100, 10);
    expect(second.score).toBeCloseTo(T1.score, 10);
    expectRates(second.rates, T1.rates);
    expect(second.counts).toMatchObject(T1.counts);
    expect(third.score).toBeNull();
    // Every township of the county is listed, the rest without figures.
    const townships = await env.ctx.database.db
      .selectFrom('org_units')
      .select('id')
      .where('kind', '=', 'township')
      .execute();
    expect([...ids].sort()).toEqual(townships.map((t) => t.id).sort());
    for (const item of r.items.slice(3)) {
      expect(item.score).toBeNull();
      expect(item.counts.received).toBe(0);
    }
  });

  it('sorts departments by composite score', async () => {
    const r = (await as(env, leader).get(`/api/assessment/rankings?${PERIOD}&by=department`)).json();
    const ids = r.items.map((i: { org: { id: string } }) => i.org.id);
    expect(ids.slice(0, 2)).toEqual([d2, d1]);
    expect(r.items[0].score).toBeCloseTo(100, 10);
    expect(r.items[1].score).toBeCloseTo(72.6, 10);
    // Villages that led cases are not departments.
    expect(ids).not.toContain(v1);
    expect(r.items.every((i: { org: { kind: string } }) => i.org.kind === 'department')).toBe(true);
  });
});

describe('GET /api/assessment/export', () => {
  it('sends CSV with a BOM, Chinese headers, one row per township and both file names', async () => {
    const res = await as(env, leader).get(`/api/assessment/export?${PERIOD}&by=township&format=csv`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const disposition = String(res.headers['content-disposition']);
    expect(disposition).toBe(
      `attachment; filename="assessment-township-${FROM}_${TO}.csv"; filename*=UTF-8''${encodeURIComponent(
        `考核排名-乡镇-${FROM}至${TO}.csv`,
      )}`,
    );
    expect(/^[\x20-\x7e]+$/.test(disposition)).toBe(true);
    const text = res.rawPayload.toString('utf8').replace(/^\uFEFF/, '');
    const lines = text.split('\r\n').filter(Boolean);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 4)).toEqual(['排名', '编码', '乡镇（街道）', '综合得分']);
    expect(header).toContain('办结率（%）');
    expect(header).toContain('满意率（%）');
    expect(header).toContain('受理量');
    const townships = await env.ctx.database.db
      .selectFrom('org_units')
      .select('id')
      .where('kind', '=', 'township')
      .execute();
    expect(lines).toHaveLength(1 + townships.length);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[1]).sort()).toEqual(townships.map((t) => t.id).sort());
    const row = rows.find((r) => r[1] === t1)!;
    const col = (name: string) => row[header.indexOf(name)];
    expect(row[0]).toBe('2');
    expect(col('综合得分')).toBe('75.60');
    expect(col('办结率（%）')).toBe('90.00');
    expect(col('响应率（%）')).toBe('70.00');
    expect(col('解决率（%）')).toBe('80.00');
    expect(col('满意率（%）')).toBe('76.00');
    expect(col('按时办结率（%）')).toBe('86.67');
    expect(col('退单率（%）')).toBe('13.33');
    expect(col('受理量')).toBe('50');
    expect(col('平均报到用时（分钟）')).toBe('25.00');
    const empty = rows.find((r) => r[1] === t3)!;
    expect(empty[header.indexOf('响应率（%）')]).toBe('');
    expect(empty[header.indexOf('综合得分')]).toBe('');
  });

  it('sends a valid XLSX that reads back with the same figures', async () => {
    const res = await as(env, leader).get(`/api/assessment/export?${PERIOD}&by=department&format=xlsx`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(String(res.headers['content-disposition'])).toContain(
      `filename="assessment-department-${FROM}_${TO}.xlsx"`,
    );

    const table = (
      await as(env, leader).get(`/api/assessment/export?${PERIOD}&by=department&format=json`)
    ).json();
    const ranks = (await as(env, leader).get(`/api/assessment/rankings?${PERIOD}&by=department`)).json();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('考核排名')!;
    expect(ws).toBeDefined();
    const values = (r: number) => {
      const row = ws.getRow(r);
      return table.headers.map((_: string, c: number) => {
        const v = row.getCell(c + 1).value;
        return v === undefined || v === null ? null : v;
      });
    };
    expect(values(1)).toEqual(table.headers);
    expect(table.headers[2]).toBe('部门');
    expect(ws.rowCount).toBe(1 + ranks.items.length);
    expect(table.rows).toHaveLength(ranks.items.length);
    table.rows.forEach((expected: (string | number | null)[], k: number) => {
      expect(values(k + 2)).toEqual(expected);
    });
    // The same figures as the rankings: department 1 is second, with its score and rates.
    const second = values(3);
    expect(second[1]).toBe(d1);
    expect(second[3]).toBeCloseTo(ranks.items[1].score, 10);
    expect(second[table.headers.indexOf('响应率')]).toBeCloseTo(0.6, 10);
    expect(second[table.headers.indexOf('受理量')]).toBe(10);
    expect(ws.getRow(3).getCell(table.headers.indexOf('响应率') + 1).numFmt).toBe('0.00%');
  });
});

describe('access and validation', () => {
  it('answers 401 without a session', async () => {
    for (const url of [
      `/api/assessment/summary?${PERIOD}`,
      `/api/assessment/rankings?${PERIOD}&by=township`,
      `/api/assessment/export?${PERIOD}&by=township&format=csv`,
      '/api/assessment/weights',
    ]) {
      const res = await as(env, null).get(url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('AUTH_REQUIRED');
    }
    expect((await put(null, '/api/assessment/weights', DEFAULT_WEIGHTS)).statusCode).toBe(401);
  });

  it('answers 403 to a role without assessment.read', async () => {
    for (const url of [
      `/api/assessment/summary?${PERIOD}`,
      `/api/assessment/rankings?${PERIOD}&by=township`,
      `/api/assessment/export?${PERIOD}&by=township&format=csv`,
      '/api/assessment/weights',
    ]) {
      const res = await as(env, gridWorker).get(url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('validates the period: real days, from ≤ to, less than 3 years', async () => {
    const bad = [
      ['from=2026-02-30&to=2026-03-01', 'from'],
      ['from=2026-03-01&to=2026-13-01', 'to'],
      ['from=2026-03-31&to=2026-03-01', 'from'],
      ['from=2023-03-01&to=2026-03-01', 'to'],
      ['from=20260301&to=2026-03-31', 'from'],
    ] as const;
    for (const [q, field] of bad) {
      const res = await as(env, leader).get(`/api/assessment/summary?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    // Three years less a day is allowed.
    expect(
      (await as(env, leader).get('/api/assessment/summary?from=2023-03-02&to=2026-03-01')).statusCode,
    ).toBe(200);
    for (const q of ['by=county', 'by=township&format=pdf', 'by=township&format=csv&extra=1']) {
      const res = await as(env, leader).get(`/api/assessment/export?${PERIOD}&${q}`);
      expect(res.statusCode, q).toBe(400);
    }
    expect((await as(env, leader).get(`/api/assessment/rankings?${PERIOD}`)).statusCode).toBe(400);
    expect((await as(env, leader).get(`/api/assessment/summary?orgId=bad-id!`)).statusCode).toBe(400);
  });
});

describe('weights', () => {
  it('reads the defaults until an admin sets them', async () => {
    const res = await as(env, leader).get('/api/assessment/weights');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ...DEFAULT_WEIGHTS,
      isDefault: true,
      updatedAt: null,
      defaults: DEFAULT_WEIGHTS,
    });
  });

  it('refuses weights that do not sum to 100 or lie out of range (400), and non-admins (403)', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ response: 30, resolution: 35, satisfaction: 34, basicWeight: 0.8 }, 'response'],
      [{ response: -10, resolution: 55, satisfaction: 55, basicWeight: 0.8 }, 'response'],
      [{ response: 30, resolution: 35, satisfaction: 35, basicWeight: 1.5 }, 'basicWeight'],
      [{ response: 30, resolution: 35, satisfaction: 35 }, 'basicWeight'],
      [{ response: 30, resolution: 35, satisfaction: 35, basicWeight: 0.8, other: 1 }, 'other'],
    ];
    for (const [body, field] of cases) {
      const res = await put(admin, '/api/assessment/weights', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect((await put(countyDispatcher, '/api/assessment/weights', DEFAULT_WEIGHTS)).statusCode).toBe(403);
    expect((await put(leader, '/api/assessment/weights', DEFAULT_WEIGHTS)).statusCode).toBe(403);
    // Without the CSRF token.
    const noCsrf = await put(admin, '/api/assessment/weights', DEFAULT_WEIGHTS, false);
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('CSRF_INVALID');
    const audits = await env.ctx.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'settings.updated')
      .execute();
    expect(audits).toHaveLength(0);
  });

  it('stores valid weights with an audit entry and uses them in every figure', async () => {
    const next = { response: 50, resolution: 25, satisfaction: 25, basicWeight: 0.5 };
    const res = await put(admin, '/api/assessment/weights', next);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ...next, isDefault: false });
    expect(res.json().updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const audit = await env.ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'settings.updated')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({
      actor_id: admin.userId,
      actor_kind: 'staff',
      target_type: 'settings',
      target_id: 'assessment_weights',
    });
    expect(audit.detail).toEqual({ key: 'assessment_weights', before: null, after: next });

    const s = (await as(env, leader).get(`/api/assessment/summary?${PERIOD}&orgId=${t1}`)).json();
    expect(s.weights).toEqual(next);
    // satisfaction (18 + 0.5 × 6) ÷ 30 = 0.7; score 50 % × 0.7 + 25 % × 0.8 + 25 % × 0.7
    expect(s.rates.satisfaction).toBeCloseTo(0.7, 10);
    expect(s.score).toBeCloseTo(72.5, 10);
    const r = (await as(env, leader).get(`/api/assessment/rankings?${PERIOD}&by=township`)).json();
    expect(r.items.find((i: { org: { id: string } }) => i.org.id === t1).score).toBeCloseTo(72.5, 10);

    // A second change records what it replaced.
    expect((await put(admin, '/api/assessment/weights', DEFAULT_WEIGHTS)).statusCode).toBe(200);
    const last = await env.ctx.database.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'settings.updated')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(last.detail).toEqual({ key: 'assessment_weights', before: next, after: DEFAULT_WEIGHTS });
  });
});

describe('computeFigures', () => {
  it('leaves unmeasurable rates out of the score and rescales the other weights', () => {
    // Dispatched but nothing rated yet: the score is the response rate alone.
    const f = computeFigures(
      new Map([
        ['received', 10],
        ['dispatched', 8],
        ['response_ok', 6],
      ]),
      DEFAULT_WEIGHTS,
    );
    expect(f.rates.resolution).toBeNull();
    expect(f.score).toBeCloseTo(75, 10);
    // A zero weight takes a rate out of the score even when it is measured.
    const g = computeFigures(
      new Map([
        ['dispatched', 10],
        ['response_ok', 10],
        ['rated', 4],
        ['resolved', 1],
        ['satisfied', 2],
      ]),
      { response: 0, resolution: 50, satisfaction: 50, basicWeight: 0.8 },
    );
    expect(g.score).toBeCloseTo(50 * 0.25 + 50 * 0.5, 10);
    expect(computeFigures(new Map(), DEFAULT_WEIGHTS).score).toBeNull();
  });
});
