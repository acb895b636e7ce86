/**
 * GeoReport v2 (http://wiki.open311.org/GeoReport_v2/) against the real application, written from
 * the spec text: every endpoint in XML and JSON, the error format and codes, jurisdiction_id,
 * api_key, the defaults and filters of GET requests, tokens, and the servicerequestupdates
 * extension. JSON answers are validated with the published schemas (fixtures/georeport-v2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCitizen,
  createGrid,
  createStaff,
  type StaffSession,
} from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { receiveCase } from '../../engine/intake.ts';
import { FixedClock } from '../../lib/clock.ts';
import { expectSchema, type Form, open311, xmlSimple } from './fixtures/georeport-client.ts';

let env: TestEnv;
let admin: StaffSession;
let dispatcher: StaffSession;
let key: string;
let keyId: string;
let otherKey: string;
let villageId: string;
/** A point inside the test grid. */
let at: { lat: string; long: string };
let api: ReturnType<typeof open311>;

const db = () => env.ctx.database.db;
const caseByCode = (code: string) =>
  db().selectFrom('cases').selectAll().where('code', '=', code).executeTakeFirstOrThrow();
const countCases = async () =>
  Number(
    (
      await db()
        .selectFrom('cases')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function issueKey(name: string) {
  const res = await as(env, admin).post('/api/integrations/api-keys', { name, system: `${name} 系统` });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { key: string; apiKey: { id: string } };
}

/** A request through POST requests.json; answers the case code via the token. */
async function submit(extra: Form = {}, headers: Record<string, string> = {}) {
  const res = await api.post(
    'requests.json',
    { api_key: key, service_code: 'CJ01', ...at, description: '小区门口有人违章搭建', ...extra },
    headers,
  );
  expect(res.statusCode, res.body).toBe(200);
  const [{ token }] = res.json() as [{ token: string }];
  const t = await api.get(`tokens/${token}.json`);
  expect(t.statusCode, t.body).toBe(200);
  return { token, code: (t.json() as [{ service_request_id: string }])[0].service_request_id };
}

async function act(code: string, action: string, input: Record<string, unknown>) {
  const c = await caseByCode(code);
  const res = await as(env, dispatcher).post(`/api/cases/${c.id}/actions/${action}`, {
    input,
    version: c.version,
  });
  expect(res.statusCode, res.body).toBe(200);
}

beforeAll(async () => {
  env = await createTestEnv();
  admin = await createStaff(env, 'admin');
  dispatcher = await createStaff(env, 'county_dispatcher');
  const gridId = await createGrid(env.ctx);
  const grid = await db().selectFrom('grids').selectAll().where('id', '=', gridId).executeTakeFirstOrThrow();
  villageId = grid.village_id;
  at = {
    lat: String((grid.min_lat + grid.max_lat) / 2),
    long: String((grid.min_lon + grid.max_lon) / 2),
  };
  const k = await issueKey('FixMyStreet 测试站');
  key = k.key;
  keyId = k.apiKey.id;
  otherKey = (await issueKey('另一个系统')).key;
  api = open311(env);
});
afterAll(() => env.close());

describe('service discovery', () => {
  it('answers discovery.xml and discovery.json with the endpoint, both formats and a changeset', async () => {
    const x = await api.get('discovery.xml');
    expect(x.statusCode).toBe(200);
    expect(x.headers['content-type']).toBe('text/xml; charset=utf-8');
    const { root, obj } = xmlSimple(x.body);
    expect(root).toBe('discovery');
    const endpoint = (
      obj.endpoints as unknown as { endpoint: { formats: { format: string[] }; url: string } }
    ).endpoint;
    expect(endpoint.url).toBe('http://localhost:80/open311/v2');
    expect(endpoint.formats.format).toEqual(['text/xml', 'application/json']);

    const j = await api.get('discovery.json');
    expect(j.headers['content-type']).toBe('application/json; charset=utf-8');
    const d = j.json();
    for (const f of ['changeset', 'contact', 'key_service', 'endpoints']) expect(d).toHaveProperty(f);
    expect(d.endpoints[0]).toMatchObject({
      specification: 'http://wiki.open311.org/GeoReport_v2',
      formats: ['text/xml', 'application/json'],
      type: 'test',
    });
    expect(d.changeset).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
  });
});

describe('GET Service List', () => {
  it('lists the public second-level categories that take appeals, in XML and JSON', async () => {
    const j = await api.get('services.json');
    expect(j.statusCode).toBe(200);
    const list = j.json() as { service_code: string; group: string; metadata: boolean; type: string }[];
    expectSchema('services.json', list);
    const cj01 = list.find((s) => s.service_code === 'CJ01');
    expect(cj01).toMatchObject({
      service_name: '违章建筑',
      group: '城乡建设',
      metadata: true,
      type: 'batch',
    });
    expect(cj01).toHaveProperty('keywords', '违建,私搭乱建,违法加层,阳台搭建');
    // Groups are not services; non-public categories (GA03 smoke alarms) are not offered.
    expect(list.map((s) => s.service_code)).not.toContain('CJ');
    expect(list.map((s) => s.service_code)).not.toContain('GA03');

    const x = await api.get('services.xml');
    const { root, obj } = xmlSimple(x.body);
    expect(root).toBe('services');
    const services = obj.service as { service_code: string; metadata: string }[];
    expect(services.map((s) => s.service_code)).toEqual(list.map((s) => s.service_code));
    expect(services[0]!.metadata).toBe('true');
  });

  it('follows the category flags: a category made non-public disappears', async () => {
    const cat = await db()
      .selectFrom('categories')
      .selectAll()
      .where('id', '=', 'ST02')
      .executeTakeFirstOrThrow();
    const res = await as(env, admin).patch('/api/categories/ST02', { public: false, version: cat.version });
    expect(res.statusCode, res.body).toBe(200);
    const list = (await api.get('services.json')).json() as { service_code: string }[];
    expect(list.map((s) => s.service_code)).not.toContain('ST02');
    expect((await api.get('services/ST02.json')).statusCode).toBe(404);
  });

  it('names services in English when asked', async () => {
    const list = (await api.get('services.json', { 'accept-language': 'en' })).json() as {
      service_code: string;
      service_name: string;
      group: string;
    }[];
    expect(list.find((s) => s.service_code === 'CJ01')).toMatchObject({
      service_name: 'Illegal construction',
      group: 'Urban-rural construction',
    });
  });
});

describe('GET Service Definition', () => {
  it('answers the attributes in XML and JSON', async () => {
    const j = await api.get('services/CJ01.json');
    expect(j.statusCode).toBe(200);
    const def = j.json();
    expectSchema('service-definition.json', def);
    expect(def.service_code).toBe('CJ01');
    expect(def.attributes.map((a: { code: string }) => a.code)).toEqual([
      'title',
      'confidential',
      'anonymous',
      'time_limit',
    ]);
    expect(def.attributes[3]).toMatchObject({ variable: false, datatype: 'text' });

    const { root, obj } = xmlSimple((await api.get('services/CJ01.xml')).body);
    expect(root).toBe('service_definition');
    const attrs = obj.attributes as { code: string; values?: { key: string; name: string }[] }[];
    expect(attrs.map((a) => a.code)).toEqual(['title', 'confidential', 'anonymous', 'time_limit']);
    expect(attrs[1]!.values!.map((v) => v.key)).toEqual(['false', 'true']);
  });

  it('answers 404 in the spec’s error format for a code that is not a service', async () => {
    const x = await api.get('services/XX99.xml');
    expect(x.statusCode).toBe(404);
    const { root, obj } = xmlSimple(x.body);
    expect(root).toBe('errors');
    const [err] = obj.error as { code: string; description: string }[];
    expect(err!.code).toBe('404');
    expect(err!.description).toContain('XX99');

    const j = await api.get('services/CJ.json');
    expect(j.statusCode).toBe(404);
    expect(j.json()).toEqual([{ code: 404, description: expect.stringContaining('CJ') }]);
  });
});

describe('formats and jurisdiction', () => {
  it('answers 404 for an unknown format and for unknown resources, in the format asked', async () => {
    const t = await api.get('services.txt');
    expect(t.statusCode).toBe(404);
    expect(xmlSimple(t.body).root).toBe('errors');
    const n = await api.get('nothing.json');
    expect(n.statusCode).toBe(404);
    expect(n.json()[0].code).toBe(404);
    const m = await env.app.inject({ method: 'DELETE', url: '/open311/v2/requests.xml' });
    expect(m.statusCode).toBe(404);
  });

  it('parses forms only under /open311/v2: the rest of the API still refuses them', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=a&password=b',
    });
    expect(res.statusCode).toBe(415);
  });

  it('accepts jurisdiction_id for this county (code or host name) and answers 404 for any other', async () => {
    expect((await api.get(`services.json?jurisdiction_id=${COUNTY}`)).statusCode).toBe(200);
    expect((await api.get('services.json?jurisdiction_id=localhost')).statusCode).toBe(200);
    expect((await api.get('services.json?jurisdiction_id=')).statusCode).toBe(200);
    const other = await api.get('services.xml?jurisdiction_id=sfgov.org');
    expect(other.statusCode).toBe(404);
    expect((xmlSimple(other.body).obj.error as { description: string }[])[0]!.description).toContain(
      'sfgov.org',
    );
    const before = await countCases();
    const post = await api.post('requests.xml', {
      api_key: key,
      jurisdiction_id: '360122',
      service_code: 'CJ01',
      ...at,
    });
    expect(post.statusCode).toBe(404);
    expect(await countCases()).toBe(before);
  });
});

describe('POST Service Request', () => {
  it('refuses a missing, unknown or revoked api_key with 403 and creates nothing', async () => {
    const before = await countCases();
    const body = { service_code: 'CJ01', ...at, description: '测试' };
    const missing = await api.post('requests.xml', body);
    expect(missing.statusCode).toBe(403);
    expect((xmlSimple(missing.body).obj.error as { code: string }[])[0]!.code).toBe('403');
    const wrong = await api.post('requests.json', { ...body, api_key: 'gz311_not-a-real-key' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toEqual([{ code: 403, description: expect.stringContaining('api_key') }]);

    const temp = await issueKey('临时密钥');
    expect((await api.post('requests.json', { ...body, api_key: temp.key })).statusCode).toBe(200);
    const revoked = await as(env, admin).post(`/api/integrations/api-keys/${temp.apiKey.id}/revoke`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    const after = await countCases();
    expect(after).toBe(before + 1);
    expect((await api.post('requests.json', { ...body, api_key: temp.key })).statusCode).toBe(403);
    expect(await countCases()).toBe(after);
  });

  it('answers 400 when service_code or the location is missing, 404 for an unknown service', async () => {
    const before = await countCases();
    const noCode = await api.post('requests.json', { api_key: key, ...at });
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json()[0]).toEqual({ code: 400, description: expect.stringContaining('service_code') });
    const noPlace = await api.post('requests.json', { api_key: key, service_code: 'CJ01' });
    expect(noPlace.statusCode).toBe(400);
    const half = await api.post('requests.json', { api_key: key, service_code: 'CJ01', lat: at.lat });
    expect(half.statusCode).toBe(400);
    const badLat = await api.post('requests.json', {
      api_key: key,
      service_code: 'CJ01',
      lat: '95',
      long: '116',
    });
    expect(badLat.statusCode).toBe(400);
    const long = await api.post('requests.json', {
      api_key: key,
      service_code: 'CJ01',
      ...at,
      description: '长'.repeat(4001),
    });
    expect(long.statusCode).toBe(400);
    // Several problems at once: one error each.
    const many = await api.post('requests.xml', {
      api_key: key,
      service_code: 'CJ01',
      phone: 'abc',
      email: 'not-an-email',
    });
    expect(many.statusCode).toBe(400);
    expect((xmlSimple(many.body).obj.error as unknown[]).length).toBe(3);
    // The spec: "404 - service_code … was not found".
    const unknown = await api.post('requests.xml', { api_key: key, service_code: 'XX99', ...at });
    expect(unknown.statusCode).toBe(404);
    expect(await countCases()).toBe(before);
  });

  it('receives the request as an appeal through the one entry and answers a token (XML)', async () => {
    const res = await api.post('requests.xml', {
      api_key: key,
      jurisdiction_id: COUNTY,
      service_code: 'CJ01',
      ...at,
      address_string: '澄湖北大道 88 号',
      description: '有人在绿化带上搭建铁皮房',
      first_name: '小明',
      last_name: '王',
      phone: '13912345678',
      email: 'wang@example.cn',
      device_id: 'device-1',
      account_id: 'fms-42',
      media_url: 'https://fms.example.cn/photo/1.jpeg',
      'attribute[title]': '绿化带违建',
      'attribute[easting]': '123456',
      'attribute[colours][]': ['red', 'green'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const { root, obj } = xmlSimple(res.body);
    expect(root).toBe('service_requests');
    const [r] = obj.request as {
      token: string;
      service_request_id?: string;
      account_id: string;
      service_notice: string;
    }[];
    expect(r!.service_request_id).toBeUndefined();
    expect(r!.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(r!.account_id).toBe('fms-42');
    expect(r!.service_notice).toContain('7 个工作日');

    const row = await db()
      .selectFrom('open311_requests')
      .selectAll()
      .where('token', '=', r!.token)
      .executeTakeFirstOrThrow();
    expect(row.api_key_id).toBe(keyId);
    expect(row.account_id).toBe('fms-42');
    expect(env.ctx.cipher.decrypt(row.email_enc!)).toBe('wang@example.cn');
    expect(JSON.stringify(row)).not.toContain('device-1');
    const c = await db()
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', row.case_id)
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({
      type: 'appeal',
      channel: 'open311',
      category_id: 'CJ01',
      state: 'received',
      title: '绿化带违建',
      address: '澄湖北大道 88 号',
      village_id: villageId,
      confidential: false,
      contact_phone_masked: '139****5678',
    });
    expect(env.ctx.cipher.decrypt(c.contact_name_enc!)).toBe('王小明');
    expect(c.description).toContain('有人在绿化带上搭建铁皮房');
    expect(c.description).toContain('easting: 123456');
    expect(c.description).toContain('colours: red, green');
    expect(c.description).toContain('media_url: https://fms.example.cn/photo/1.jpeg');
    const event = await db()
      .selectFrom('case_events')
      .selectAll()
      .where('case_id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ action: 'receive', actor_kind: 'system', to_state: 'received' });
  });

  it('keeps no name or phone for an anonymous request and hides a confidential one everywhere', async () => {
    const anon = await submit({
      first_name: '三',
      last_name: '张',
      phone: '13800001111',
      'attribute[anonymous]': 'true',
    });
    const a = await caseByCode(anon.code);
    expect(a.anonymous).toBe(true);
    expect(a.contact_name_enc).toBeNull();
    expect(a.contact_phone_enc).toBeNull();

    const secret = await submit({ 'attribute[confidential]': 'true', description: '举报某人' });
    expect((await caseByCode(secret.code)).confidential).toBe(true);
    expect((await api.get(`requests/${secret.code}.json`)).statusCode).toBe(404);
    const all = (await api.get(`requests.json?service_request_id=${secret.code},${anon.code}`)).json() as {
      service_request_id: string;
    }[];
    expect(all.map((r) => r.service_request_id)).toEqual([anon.code]);
  });

  it('answers in JSON too', async () => {
    const res = await api.post('requests.json', {
      api_key: key,
      service_code: 'ST03',
      address_string: '向塘镇',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual([
      { token: expect.any(String), service_notice: expect.any(String), account_id: null },
    ]);
  });
});

describe('GET service_request_id from a token', () => {
  it('answers the id in XML and JSON, and 404 for an unknown token', async () => {
    const { token, code } = await submit();
    const x = xmlSimple((await api.get(`tokens/${token}.xml?jurisdiction_id=${COUNTY}`)).body);
    expect(x.root).toBe('service_requests');
    expect(x.obj.request).toEqual([{ service_request_id: code, token }]);
    expect((await api.get(`tokens/${token}.json`)).json()).toEqual([{ service_request_id: code, token }]);
    const unknown = await api.get('tokens/AAAAAAAAAAAAAAAAAAAAAAAA.xml');
    expect(unknown.statusCode).toBe(404);
    expect((await api.get('tokens/bad!token.json')).statusCode).toBe(404);
  });
});

describe('GET Service Requests and GET Service Request', () => {
  it('shows one request in XML and JSON, valid against the published schema, without personal data', async () => {
    const { code } = await submit({
      first_name: '小红',
      last_name: '李',
      phone: '13712345678',
      email: 'li@example.cn',
      address_string: '莲塘镇 1 号',
    });
    const j = await api.get(`requests/${code}.json`);
    expect(j.statusCode).toBe(200);
    const list = j.json();
    expectSchema('requests.json', list);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      service_request_id: code,
      status: 'open',
      service_code: 'CJ01',
      service_name: '违章建筑',
      description: '小区门口有人违章搭建',
      address: '莲塘镇 1 号',
      lat: Number(at.lat),
      long: Number(at.long),
      media_url: null,
      agency_responsible: null,
    });
    expect(list[0].requested_datetime).toMatch(/\+08:00$/);
    for (const secret of ['小红', '李', '13712345678', '5678', 'li@example.cn'])
      expect(j.body).not.toContain(secret);

    const x = await api.get(`requests/${code}.xml`);
    expect(x.body).not.toContain('13712345678');
    const { root, obj } = xmlSimple(x.body);
    expect(root).toBe('service_requests');
    const [r] = obj.request as Record<string, string | undefined>[];
    expect(r).toMatchObject({ service_request_id: code, status: 'open', service_code: 'CJ01' });
    expect(r!.media_url).toBeUndefined();
    expect((await api.get('requests/S0000000000.xml')).statusCode).toBe(404);
  });

  it('shows requests from other channels without their text, position or reporter', async () => {
    const citizen = await createCitizen(env.ctx);
    const { case: c } = await receiveCase(
      env.ctx,
      { kind: 'citizen', citizenId: citizen.id, countyCode: COUNTY },
      {
        type: 'appeal',
        channel: 'web',
        categoryId: 'CJ01',
        description: '我家隔壁老张私自加盖三楼',
        lat: Number(at.lat),
        lon: Number(at.long),
        address: '某村 3 组 12 号',
        contactName: '赵六',
        contactPhone: citizen.phone,
      },
    );
    const [r] = (await api.get(`requests/${c.code}.json`)).json();
    expectSchema('request.json', r);
    expect(r).toMatchObject({ service_request_id: c.code, description: null, lat: null, long: null });
    expect(r.address).toMatch(/^测试村/);
    const body = (await api.get(`requests/${c.code}.xml`)).body;
    for (const secret of ['老张', '3 组 12 号', '赵六', citizen.phone]) expect(body).not.toContain(secret);
    // Events (grid, sensors) are not service requests.
    const { case: e } = await receiveCase(env.ctx, systemActor(COUNTY), {
      type: 'event',
      channel: 'grid',
      categoryId: 'CJ01',
      description: '巡查发现违建',
      villageId,
    });
    expect((await api.get(`requests/${e.code}.json`)).statusCode).toBe(404);
  });

  it('maps our states onto open/closed and shows the lead unit and the expected answer time', async () => {
    const open = await submit();
    await act(open.code, 'dispatch', { leadOrgId: villageId, note: '村里处理' });
    const [r] = (await api.get(`requests/${open.code}.json`)).json();
    expect(r.status).toBe('open');
    expect(r.agency_responsible).toMatch(/^测试村/);
    expect(r.status_notes).toContain('已派单');
    expect(r.expected_datetime).toMatch(/\+08:00$/);

    const closed = await submit();
    await act(closed.code, 'void', { reason: '重复反映' });
    const [v] = (await api.get(`requests/${closed.code}.json`)).json();
    expect(v).toMatchObject({ status: 'closed', status_notes: '已作废（void）', expected_datetime: null });
    const c = await caseByCode(closed.code);
    expect(v.updated_datetime).toBe(
      `${new Date(c.closed_at!.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`,
    );
  });

  it('filters by id list (overriding the rest), service_code, status and dates', async () => {
    const a = await submit({ service_code: 'ST01' });
    const b = await submit({ service_code: 'ST01' });
    await act(b.code, 'void', { reason: '无效' });
    const byIds = (
      await api.get(
        `requests.json?service_request_id=${a.code},${b.code},NOPE&status=closed&start_date=2001-01-01T00:00:00Z`,
      )
    ).json() as { service_request_id: string }[];
    expect(byIds.map((r) => r.service_request_id).sort()).toEqual([a.code, b.code].sort());

    const st01 = (await api.get('requests.json?service_code=ST01')).json() as {
      service_request_id: string;
    }[];
    expect(st01.map((r) => r.service_request_id)).toEqual([b.code, a.code]);
    const closed = (await api.get('requests.json?service_code=ST01&status=closed')).json();
    expect(closed.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([b.code]);
    const both = (await api.get('requests.json?service_code=ST01,CJ99&status=open,closed')).json();
    expect(both).toHaveLength(2);

    const future = (await api.get('requests.json?start_date=2099-01-01T00:00:00%2B08:00')).json();
    expect(future).toEqual([]);
    const now = Date.now();
    const start = new Date(now - 3600_000).toISOString();
    const end = new Date(now + 3600_000).toISOString();
    const window = (
      await api.get(`requests.json?service_code=ST01&start_date=${start}&end_date=${end}`)
    ).json();
    expect(window).toHaveLength(2);
    // An unencoded "+" arrives as a space and is still read as an offset.
    const plus = await api.get(
      'requests.json?start_date=2026-01-01T00:00:00+08:00&end_date=2026-02-01T00:00:00+08:00',
    );
    expect(plus.statusCode).toBe(200);

    const xml = xmlSimple((await api.get('requests.xml?service_code=ST01&status=open')).body);
    expect((xml.obj.request as { service_request_id: string }[]).map((r) => r.service_request_id)).toEqual([
      a.code,
    ]);
    const page = (await api.get('requests.json?service_code=ST01&page_size=1&page=2')).json();
    expect(page.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([a.code]);
  });

  it('answers 400 for bad filters: dates, a span over 90 days, status, page size', async () => {
    for (const q of [
      'start_date=yesterday',
      'start_date=2026-01-01T00:00:00',
      'start_date=2026-03-01T00:00:00Z&end_date=2026-01-01T00:00:00Z',
      'start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z',
      'status=pending',
      'page_size=1001',
      'page=0',
    ]) {
      const res = await api.get(`requests.xml?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect((xmlSimple(res.body).obj.error as { code: string }[])[0]!.code).toBe('400');
    }
    // Exactly 90 days is allowed.
    expect(
      (await api.get('requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z'))
        .statusCode,
    ).toBe(200);
  });

  it('defaults to the most recent 90 days', async () => {
    const realClock = env.ctx.clock;
    const clock = new FixedClock(new Date(Date.now() - 100 * 24 * 3600_000));
    env.ctx.clock = clock;
    try {
      const old = await submit({ service_code: 'JT01' });
      clock.advance(100 * 24 * 3600_000);
      const recent = await submit({ service_code: 'JT01' });
      const list = (await api.get('requests.json?service_code=JT01')).json() as {
        service_request_id: string;
      }[];
      expect(list.map((r) => r.service_request_id)).toEqual([recent.code]);
      const explicit = (
        await api.get(
          `requests.json?service_code=JT01&start_date=${new Date(Date.now() - 101 * 24 * 3600_000).toISOString()}`,
        )
      ).json() as { service_request_id: string }[];
      expect(explicit.map((r) => r.service_request_id)).toEqual([old.code]);
    } finally {
      env.ctx.clock = realClock;
    }
  });
});

describe('servicerequestupdates (extension)', () => {
  it('lists the citizen-visible steps of Open311 requests in XML and JSON', async () => {
    const start = new Date(Date.now() - 1000).toISOString();
    const { code } = await submit({ service_code: 'SC01' });
    await act(code, 'dispatch', { leadOrgId: villageId, note: '村里处理' });
    const end = new Date(Date.now() + 1000).toISOString();
    const j = await api.get(`servicerequestupdates.json?start_date=${start}&end_date=${end}`);
    expect(j.statusCode).toBe(200);
    const mine = (j.json() as { service_request_id: string; status: string; description: string }[]).filter(
      (u) => u.service_request_id === code,
    );
    expect(mine.map((u) => u.status)).toEqual(['open', 'investigating']);
    expect(mine[1]!.description).toContain('已派单至测试村');
    expect(mine[0]).toEqual({
      update_id: expect.stringMatching(/^\d+$/),
      service_request_id: code,
      status: 'open',
      updated_datetime: expect.stringMatching(/\+08:00$/),
      description: '已受理（received）',
      media_url: '',
    });
    const x = xmlSimple(
      (await api.get(`servicerequestupdates.xml?start_date=${start}&end_date=${end}`)).body,
    );
    expect(x.root).toBe('service_request_updates');
    const updates = x.obj.request_update as { service_request_id: string; status: string }[];
    expect(updates.filter((u) => u.service_request_id === code).map((u) => u.status)).toEqual([
      'open',
      'investigating',
    ]);
    const none = await api.get('servicerequestupdates.xml?start_date=2099-01-01T00:00:00Z');
    expect(xmlSimple(none.body).obj.request_update).toBeUndefined();
    expect((await api.get('servicerequestupdates.json?end_date=nope')).statusCode).toBe(400);
  });

  it('leaves out other channels and confidential requests', async () => {
    const start = new Date(Date.now() - 1000).toISOString();
    const secret = await submit({ 'attribute[confidential]': 'true' });
    const { case: web } = await receiveCase(env.ctx, systemActor(COUNTY), {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'CJ01',
      description: '电话反映',
      villageId,
    });
    const all = (await api.get(`servicerequestupdates.json?start_date=${start}`)).json() as {
      service_request_id: string;
    }[];
    const ids = all.map((u) => u.service_request_id);
    expect(ids).not.toContain(secret.code);
    expect(ids).not.toContain(web.code);
  });

  it('takes a client’s update to its own request once and tells the handling unit', async () => {
    const { code } = await submit();
    const c = await caseByCode(code);
    const update = {
      api_key: key,
      jurisdiction_id: COUNTY,
      service_request_id: code,
      update_id: 'fms-comment-7',
      status: 'OPEN',
      updated_datetime: '2026-11-30T10:00:00+08:00',
      description: '铁皮房还在，又加高了',
      first_name: '小明',
      last_name: '王',
      email: 'wang@example.cn',
    };
    expect((await api.post('servicerequestupdates.xml', { ...update, api_key: undefined })).statusCode).toBe(
      403,
    );
    const other = await api.post('servicerequestupdates.json', { ...update, api_key: otherKey });
    expect(other.statusCode).toBe(404);
    const res = await api.post('servicerequestupdates.xml', update);
    expect(res.statusCode, res.body).toBe(200);
    const { root, obj } = xmlSimple(res.body);
    expect(root).toBe('service_request_updates');
    const update_id = (obj.request_update as { update_id: string }[])[0]!.update_id;
    expect(update_id).toMatch(/^\d+$/);
    const again = await api.post('servicerequestupdates.json', update);
    expect(again.json()).toEqual([{ update_id }]);
    const rows = await db()
      .selectFrom('open311_request_updates')
      .selectAll()
      .where('case_id', '=', c.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'open', description: '铁皮房还在，又加高了' });
    expect(JSON.stringify(rows[0])).not.toContain('wang@example.cn');
    const notes = await db()
      .selectFrom('notifications')
      .selectAll()
      .where('case_id', '=', c.id)
      .where('kind', '=', 'open311_update')
      .execute();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ recipient_kind: 'org', recipient_id: `${COUNTY}C` });
    expect(notes[0]!.body).toContain('铁皮房还在');
    // The case itself is untouched: updates inform, the workflow acts.
    expect((await caseByCode(code)).version).toBe(c.version);

    const bad = await api.post('servicerequestupdates.json', { api_key: key, service_request_id: code });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as unknown[]).length).toBe(3);
  });
});

describe('audit', () => {
  it('records every Open311 call with the key, the endpoint and the outcome', async () => {
    const { code } = await submit({}, { 'x-request-id': 'open311-audit-test-1' });
    const rows = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'open311.request')
      .where('request_id', '=', 'open311-audit-test-1')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'system', target_type: 'open311_api_key', target_id: keyId });
    expect(rows[0]!.detail).toMatchObject({
      endpoint: 'POST /open311/v2/requests.:format',
      status: 200,
      outcome: 'ok',
      keyId,
      serviceRequestId: code,
    });
    await api.get('services/XX99.json', { 'x-request-id': 'open311-audit-test-2' });
    const miss = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', '=', 'open311-audit-test-2')
      .executeTakeFirstOrThrow();
    expect(miss.detail).toMatchObject({ status: 404, outcome: 'error', keyId: null });
    expect(miss.target_id).toBeNull();
  });
});

describe('OpenAPI', () => {
  it('documents the Open311 routes under the open311 tag with both formats', async () => {
    const doc = (await env.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<
        string,
        Record<string, { tags: string[]; summary: string; responses: Record<string, { content: object }> }>
      >;
    };
    const post = doc.paths['/open311/v2/requests.{format}']!.post!;
    expect(post.tags).toEqual(['open311']);
    expect(post.summary).toBe('POST Service Request');
    expect(Object.keys(post.responses['200']!.content)).toEqual(['application/json', 'text/xml']);
    expect(Object.keys(post.responses['403']!.content)).toEqual(['application/json', 'text/xml']);
    for (const p of [
      '/open311/v2/discovery.{format}',
      '/open311/v2/services.{format}',
      '/open311/v2/services/{service_code}.{format}',
      '/open311/v2/tokens/{token}.{format}',
      '/open311/v2/requests/{service_request_id}.{format}',
      '/open311/v2/servicerequestupdates.{format}',
    ])
      expect(doc.paths[p], p).toBeDefined();
  });
});
