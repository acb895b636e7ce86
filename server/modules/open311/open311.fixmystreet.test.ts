/**
 * Replays what FixMyStreet's Open311 client (perllib/Open311.pm in mysociety/fixmystreet) does,
 * against the real application, and reads every answer the way it does: XML only, through
 * XML::Simple with its ForceArray/GroupTags options. Its sequence: GET services.xml and
 * services/{code}.xml (PopulateServiceList), POST requests.xml form-encoded with api_key,
 * jurisdiction_id and attribute[…]; a token in the answer is resolved at once through
 * tokens/{token}.xml; later GET requests.xml?service_request_id=…, POST servicerequestupdates.xml
 * for a reporter's comment, and GET servicerequestupdates.xml with a two-hour window
 * (GetServiceRequestUpdates), each update's status mapped through `map_state`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, COUNTY, createGrid, createStaff, type StaffSession } from '../../../test/factories.ts';
import { type Form, open311, xmlSimple } from './fixtures/georeport-client.ts';

let env: TestEnv;
let dispatcher: StaffSession;
let handler: StaffSession;
let villageId: string;
let point: { lat: number; lon: number };
let body: { endpoint: string; jurisdiction: string; api_key: string };

/** Open311.pm's `_get`: jurisdiction_id added to the query; the decoded body, or undefined on failure. */
async function fmsGet(path: string, params: Record<string, string> = {}) {
  const q = new URLSearchParams({ ...params, jurisdiction_id: body.jurisdiction });
  const res = await open311(env).get(`${path}?${q.toString()}`);
  return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, content: res.body };
}

/** Open311.pm's `_post`: form-encoded with jurisdiction_id and api_key. */
async function fmsPost(path: string, params: Form) {
  const res = await open311(env).post(path, {
    ...params,
    jurisdiction_id: body.jurisdiction,
    api_key: body.api_key,
  });
  return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, content: res.body };
}

/** Open311.pm's `map_state` (without extended statuses). */
function mapState(incoming: string): string {
  const s = incoming.toLowerCase().replaceAll('_', ' ');
  const map: Record<string, string> = {
    fixed: 'fixed - council',
    'not councils responsibility': 'not responsible',
    'no further action': 'unable to fix',
    open: 'confirmed',
    closed: 'fixed - council',
  };
  return map[s] ?? s;
}
/** FixMyStreet's visible problem states: an update's state is applied only when it is one of them. */
const VISIBLE = new Set([
  'confirmed',
  'investigating',
  'in progress',
  'action scheduled',
  'fixed - council',
  'fixed - user',
  'fixed',
  'closed',
  'duplicate',
  'unable to fix',
  'not responsible',
  'internal referral',
]);

/** DateTime::Format::W3CDTF->format_datetime of a UTC time: no fractional seconds, "Z". */
const w3cdtf = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

async function act(code: string, who: StaffSession, action: string, input: Record<string, unknown>) {
  const c = await env.ctx.database.db
    .selectFrom('cases')
    .select(['id', 'version'])
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  const res = await as(env, who).post(`/api/cases/${c.id}/actions/${action}`, { input, version: c.version });
  expect(res.statusCode, res.body).toBe(200);
}

beforeAll(async () => {
  env = await createTestEnv();
  const admin = await createStaff(env, 'admin');
  dispatcher = await createStaff(env, 'county_dispatcher');
  const gridId = await createGrid(env.ctx);
  const grid = await env.ctx.database.db
    .selectFrom('grids')
    .selectAll()
    .where('id', '=', gridId)
    .executeTakeFirstOrThrow();
  villageId = grid.village_id;
  handler = await createStaff(env, 'village_handler', { orgId: villageId });
  point = { lat: (grid.min_lat + grid.max_lat) / 2, lon: (grid.min_lon + grid.max_lon) / 2 };
  const issued = await as(env, admin).post('/api/integrations/api-keys', {
    name: 'FixMyStreet 南昌县',
    system: 'FixMyStreet',
  });
  expect(issued.statusCode, issued.body).toBe(201);
  body = { endpoint: 'http://localhost/open311/v2/', jurisdiction: COUNTY, api_key: issued.json().key };
});
afterAll(() => env.close());

describe('FixMyStreet’s Open311 client, replayed', () => {
  let serviceRequestId: string;
  let windowStart: Date;

  it('populates its categories from services.xml and services/{code}.xml', async () => {
    const list = await fmsGet('services.xml');
    expect(list.ok).toBe(true);
    const { obj } = xmlSimple(list.content);
    const services = obj.service as {
      service_code: string;
      service_name: string;
      metadata: string;
      group: string;
    }[];
    const cj01 = services.find((s) => s.service_code === 'CJ01')!;
    expect(cj01).toMatchObject({ service_name: '违章建筑', metadata: 'true', group: '城乡建设' });
    // metadata=true: PopulateServiceList fetches the definition and keeps the variable attributes.
    const meta = await fmsGet('services/CJ01.xml');
    const def = xmlSimple(meta.content).obj;
    expect(def.service_code).toBe('CJ01');
    const attributes = def.attributes as {
      code: string;
      variable: string;
      required: string;
      order: string;
    }[];
    expect(attributes.filter((a) => a.variable === 'true').map((a) => a.code)).toEqual([
      'title',
      'confidential',
      'anonymous',
    ]);
    expect(attributes.every((a) => a.required === 'false')).toBe(true);
  });

  it('sends a report: POST requests.xml, then the token through tokens/{token}.xml', async () => {
    windowStart = new Date(Date.now() - 1000);
    // _populate_service_request_params with extended_description and always_send_latlong.
    const params: Form = {
      description:
        'title: 绿化带里搭了铁皮房\n\ndetail: 澄湖北大道东侧绿化带，上周开始搭建\n\n' +
        'url: https://fms.example.cn/report/1234\n\nSubmitted via FixMyStreet\n',
      service_code: 'CJ01',
      first_name: '小明',
      last_name: '王',
      email: 'wang@example.cn',
      phone: '13912345678',
      lat: point.lat.toFixed(6),
      long: point.lon.toFixed(6),
      media_url: 'https://fms.example.cn/photo/1234.0.full.jpeg',
      'attribute[fixmystreet_id]': '1234',
      'attribute[title]': '绿化带里搭了铁皮房',
      'attribute[confidential]': 'false',
    };
    const res = await fmsPost('requests.xml', params);
    expect(res.ok, res.content).toBe(true);
    const obj = xmlSimple(res.content).obj as { request: { service_request_id?: string; token?: string }[] };
    // send_service_request: no service_request_id, so it asks for the token's id.
    expect(obj.request[0]!.service_request_id).toBeUndefined();
    const token = obj.request[0]!.token!;
    const t = await fmsGet(`tokens/${token}.xml`);
    const resolved = xmlSimple(t.content).obj as { request: { service_request_id: string }[] };
    serviceRequestId = resolved.request[0]!.service_request_id;
    expect(serviceRequestId).toMatch(/^S\d{10}$/);

    const c = await env.ctx.database.db
      .selectFrom('cases')
      .selectAll()
      .where('code', '=', serviceRequestId)
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({
      channel: 'open311',
      category_id: 'CJ01',
      village_id: villageId,
      title: '绿化带里搭了铁皮房',
    });
    expect(c.description).toContain('fixmystreet_id: 1234');
  });

  it('reads the report back with requests.xml?service_request_id=…', async () => {
    const res = await fmsGet('requests.xml', { service_request_id: serviceRequestId });
    const obj = xmlSimple(res.content).obj as { request: Record<string, string | undefined>[] };
    expect(obj.request).toHaveLength(1);
    expect(obj.request[0]).toMatchObject({
      service_request_id: serviceRequestId,
      status: 'open',
      service_code: 'CJ01',
    });
    expect(Number(obj.request[0]!.lat)).toBe(Number(point.lat.toFixed(6)));
    expect(res.content).not.toContain('13912345678');
    expect(res.content).not.toContain('wang@example.cn');
  });

  it('posts a reporter’s comment with servicerequestupdates.xml and gets an update_id', async () => {
    // _populate_service_request_update_params
    const params: Form = {
      updated_datetime: w3cdtf(new Date()),
      service_request_id: serviceRequestId,
      status: 'OPEN',
      description: '又加高了一层',
      last_name: '王',
      first_name: '小明',
      email: 'wang@example.cn',
      update_id: '98765',
    };
    const res = await fmsPost('servicerequestupdates.xml', params);
    expect(res.ok, res.content).toBe(true);
    const obj = xmlSimple(res.content).obj as { request_update: { update_id: string }[] };
    const updateId = obj.request_update[0]!.update_id;
    expect(typeof updateId).toBe('string');
    expect(updateId).toMatch(/^\d+$/);
  });

  it('fetches the council’s updates with a two-hour window and maps their states', async () => {
    await act(serviceRequestId, dispatcher, 'dispatch', { leadOrgId: villageId, note: '村委会处理' });
    await act(serviceRequestId, handler, 'sign', {});
    await act(serviceRequestId, handler, 'first_contact', { method: 'phone', note: '已电话联系' });
    await act(serviceRequestId, handler, 'reply', { reply: '已责令当事人三日内自行拆除，村委会将复查。' });

    const end = new Date(Date.now() + 1000);
    const start = new Date(end.getTime() - 2 * 3600_000);
    const args = [w3cdtf(start), w3cdtf(end)];
    const res = await fmsGet('servicerequestupdates.xml', {
      api_key: body.api_key,
      start_date: args[0]!,
      end_date: args[1]!,
    });
    expect(res.ok, res.content).toBe(true);
    const requests = (xmlSimple(res.content).obj.request_update ?? []) as Record<
      string,
      string | undefined
    >[];
    // update_comments: skip entries without a request id or outside the window, map the state.
    const comments = requests
      .filter((r) => r.service_request_id === serviceRequestId && r.update_id !== undefined)
      .filter((r) => {
        const updated = w3cdtf(new Date(r.updated_datetime!));
        return updated >= args[0]! && updated <= args[1]!;
      })
      .map((r) => ({
        id: r.update_id!,
        state: mapState(r.status!),
        text: r.description ?? '',
        media: r.media_url,
      }));
    expect(comments.map((c) => c.state)).toEqual([
      'confirmed',
      'investigating',
      'in progress',
      'in progress',
      'in progress',
    ]);
    expect(comments.every((c) => VISIBLE.has(c.state))).toBe(true);
    expect(comments.at(-1)!.text).toContain('已责令当事人三日内自行拆除');
    // No media: add_media is not called for an empty element.
    expect(comments.every((c) => c.media === undefined)).toBe(true);
    expect(new Set(comments.map((c) => c.id)).size).toBe(comments.length);
    expect(windowStart.getTime()).toBeLessThan(end.getTime());
  });

  it('reads errors the way _process_error does', async () => {
    const res = await open311(env).post('requests.xml', {
      jurisdiction_id: body.jurisdiction,
      api_key: 'gz311_revoked-or-wrong',
      service_code: 'CJ01',
      lat: '28.5',
      long: '116.0',
    });
    expect(res.statusCode).toBe(403);
    const errors = xmlSimple(res.body).obj.error as { code: string; description: string }[];
    const msg = errors.map((e) => `${e.code || '???'}: ${e.description || 'unknown error'}`).join('\n');
    expect(msg).toMatch(/^403: .*api_key/);
  });
});
