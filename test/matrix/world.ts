/**
 * Two townships of one county — A, where every role has a signed-in member, and B, where the same
 * kinds of record live out of A's reach — for the authorization matrix and the fuzzer.
 *
 * Every staff role sits in township A (a unit of the kind the role may belong to: the township, its
 * centre, its village or a county department); the admin, who may only belong to the county, is
 * moved into township A in the database, as the outsider suite does, so that "outside the
 * jurisdiction" exists for admins too. Records that hold personal data carry a marker per side, so
 * a response can be searched for anything of B's.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { STAFF_ROLES, type StaffRole } from '../../common/roles.ts';
import { systemActor } from '../../server/authz/actor.ts';
import { storeImage } from '../../server/modules/attachments/attachments.service.ts';
import { createDevice } from '../../server/modules/iot/devices.service.ts';
import { createUser } from '../../server/modules/users/users.service.ts';
import type { TestEnv } from '../context.ts';
import {
  as,
  COUNTY,
  createCentre,
  createCitizen,
  createDepartment,
  createGrid,
  createTownship,
  createVillage,
  PASSWORD,
} from '../factories.ts';

export type ActorName = StaffRole | 'citizen' | 'anonymous';
export const ACTORS: ActorName[] = [...STAFF_ROLES, 'citizen', 'anonymous'];

export interface Session {
  userId: string;
  cookie: string;
  csrf: string;
  /** Each person calls from an address of their own (rate limits count per address). */
  ip: string;
}

export interface Side {
  name: 'A' | 'B';
  marker: string;
  township: string;
  centre: string;
  village: string;
  grid: string;
  department: string;
  /** A grid worker of the village without a session. */
  worker: string;
  citizenRecord: { id: string; phone: string };
  /** An appeal with a contact, taken by the side's centre, its department assisting. */
  case: { id: string; code: string };
  /** The side's citizen's own appeal, answered directly (so it can be rated). */
  citizenCase: string;
  patrol: string;
  /** A photo of `case`, and one the citizen attached to `citizenCase`. */
  attachment: string;
  citizenAttachment: string;
  device: string;
  /** A notification addressed to each signed-in person of the side. */
  notifications: Map<string, string>;
  dispatcher: Session;
  gridWorker: Session;
  citizen: Session & { phone: string };
}

export interface CountyConfig {
  category: string;
  date: string;
  webhook: string;
  delivery: string;
  catalogue: string;
  apiKey: string;
  rule: string;
}

export interface World {
  a: Side;
  b: Side;
  /** Side A's people, one per role; `anonymous` is null. */
  actors: Record<ActorName, Session | null>;
  county: CountyConfig;
}

let serial = 0;
const ipOf = () => {
  serial++;
  return `10.${90 + Math.floor(serial / 250)}.${serial % 250}.${1 + (serial % 7)}`;
};

export async function signInStaff(env: TestEnv, username: string, userId: string): Promise<Session> {
  const ip = ipOf();
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${username} failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return { userId, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken, ip };
}

async function staff(env: TestEnv, role: StaffRole, orgId: string): Promise<Session> {
  const username = `m${role.replace(/_/g, '')}${++serial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `${role} ${username}`,
    role,
    orgId,
    password: PASSWORD,
  });
  return signInStaff(env, username, id);
}

async function citizen(env: TestEnv, phone: string): Promise<Session & { phone: string }> {
  const ip = ipOf();
  await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/request',
    payload: { phone },
    remoteAddress: ip,
  });
  const code = /([0-9]{6})/.exec(env.sms.sent.filter((m) => m.phone === phone).at(-1)!.text)![1]!;
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/verify',
    payload: { phone, code },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`citizen sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return {
    userId: res.json().citizen.id,
    cookie: `gz_session=${cookie.value}`,
    csrf: res.json().csrfToken,
    ip,
    phone,
  };
}

/** Where a role of side A sits (a unit of a kind `ROLE_ORG_KINDS` allows). */
function unitFor(role: StaffRole, s: Units) {
  switch (role) {
    case 'grid_worker':
    case 'village_handler':
      return s.village;
    case 'department_handler':
      return s.department;
    case 'cadre':
    case 'special_supervisor':
    case 'leader':
      return s.township;
    case 'admin':
      return COUNTY;
    default:
      return s.centre;
  }
}

const jpeg = () =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer();

interface Units {
  township: string;
  centre: string;
  village: string;
  department: string;
}

async function newUnits(env: TestEnv): Promise<Units> {
  const township = await createTownship(env.ctx);
  return {
    township,
    centre: await createCentre(env.ctx, township),
    village: await createVillage(env.ctx, { townshipId: township }),
    department: await createDepartment(env.ctx),
  };
}

async function buildSide(
  env: TestEnv,
  name: 'A' | 'B',
  units: Units,
  people: Map<string, Session>,
): Promise<Side> {
  const { township, centre, village, department } = units;
  const grid = await createGrid(env.ctx, { villageId: village });
  const marker = `MARK${name}${randomBytes(4).toString('hex').toUpperCase()}`;
  const dispatcher = await staff(env, 'township_dispatcher', centre);
  // Side A's own grid worker walks its patrol, so that the patrol is theirs.
  const gridWorker = people.get('grid_worker') ?? (await staff(env, 'grid_worker', village));
  const phone = name === 'A' ? '13800000001' : '13800000002';
  const citizenSession = await citizen(env, phone);
  const worker = (
    await createUser(env.ctx, systemActor(COUNTY), {
      username: `mworker${++serial}`,
      displayName: `网格员 ${marker}`,
      role: 'grid_worker',
      orgId: village,
      password: PASSWORD,
    })
  ).id;
  const citizenRecord = await createCitizen(env.ctx, { homeOrgId: village });

  const photo = await storeImage(env.ctx, {
    countyCode: COUNTY,
    bytes: await jpeg(),
    uploader: { kind: 'staff', id: dispatcher.userId },
  });
  const taken = await as(env, dispatcher).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'JF01',
    description: `邻里宅基地纠纷 ${marker}`,
    villageId: village,
    contactName: `张${marker}`,
    contactPhone: name === 'A' ? '13911110001' : '13911110002',
    attachments: [photo.id],
  });
  if (taken.statusCode !== 201) throw new Error(`intake failed: ${taken.body}`);
  const caseId = taken.json().case.id as string;
  // The side's department assists on it (joint handling), so the department's handler has a case
  // of its own to read.
  await env.ctx.database.db
    .insertInto('case_units')
    .values({
      case_id: caseId,
      org_id: department,
      relation: 'assist',
      county_code: COUNTY,
      assigned_at: new Date(),
    })
    .execute();

  const citizenPhoto = await storeImage(env.ctx, {
    countyCode: COUNTY,
    bytes: await jpeg(),
    uploader: { kind: 'citizen', id: citizenSession.userId },
  });
  const mine = await as(env, citizenSession).post('/api/my/cases', {
    type: 'appeal',
    channel: 'web',
    categoryId: 'ZX01',
    description: `请问低保怎么申请 ${marker}`,
    villageId: village,
    attachments: [citizenPhoto.id],
  });
  if (mine.statusCode !== 201) throw new Error(`citizen intake failed: ${mine.body}`);
  const citizenCase = mine.json().case.id as string;
  const answered = await as(env, dispatcher).post(`/api/cases/${citizenCase}/actions/answer_directly`, {
    input: { answer: '可向村委会提交申请材料。' },
  });
  if (answered.statusCode !== 200) throw new Error(`answer failed: ${answered.body}`);

  const patrolRes = await as(env, gridWorker).post('/api/patrols', {
    clientId: `matrix-${name}-${++serial}`,
  });
  if (patrolRes.statusCode !== 201) throw new Error(`patrol failed: ${patrolRes.body}`);

  const { device } = await createDevice(env.ctx, systemActor(COUNTY), {
    code: `MX-${name}-${++serial}`,
    type: 'smart_toilet',
    name: `公厕 ${marker}`,
    lon: 120,
    lat: 30,
    villageId: village,
    ownerOrgId: department,
  });

  const notifications = new Map<string, string>();
  const everyone = new Map(people);
  everyone.set(`dispatcher${name}`, dispatcher);
  everyone.set(`citizen${name}`, citizenSession);
  for (const [who, s] of everyone) {
    const id = 200_000_000_000 + ++serial;
    await env.ctx.database.db
      .insertInto('notifications')
      .values({
        id,
        county_code: COUNTY,
        recipient_kind: who.startsWith('citizen') ? 'citizen' : 'user',
        recipient_id: s.userId,
        channel: 'inapp',
        kind: 'new_work',
        case_id: null,
        title: '新工单',
        body: `通知 ${marker}`,
      })
      .execute();
    notifications.set(who, String(id));
  }

  return {
    name,
    marker,
    township,
    centre,
    village,
    grid,
    department,
    worker,
    citizenRecord,
    case: { id: caseId, code: taken.json().case.code },
    citizenCase,
    patrol: patrolRes.json().patrol.id,
    attachment: photo.id,
    citizenAttachment: citizenPhoto.id,
    device: device.id,
    notifications,
    dispatcher,
    gridWorker,
    citizen: citizenSession,
  };
}

async function countyConfig(env: TestEnv, admin: Session): Promise<CountyConfig> {
  const api = as(env, admin);
  const ok = (r: { statusCode: number; body: string }, what: string) => {
    if (r.statusCode >= 300) throw new Error(`${what} failed: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body);
  };
  /** The created record's id: `{ id }` or `{ <thing>: { id } }`. */
  const idOf = (x: Record<string, unknown>): string => {
    if (typeof x.id === 'string' || typeof x.id === 'number') return String(x.id);
    const inner = Object.values(x).find(
      (v): v is { id: string } => typeof v === 'object' && v !== null && 'id' in v,
    );
    if (!inner) throw new Error(`no id in ${JSON.stringify(x)}`);
    return String(inner.id);
  };
  const webhook = ok(
    await api.post('/api/integrations/webhooks', {
      name: '矩阵测试',
      system: '测试系统',
      url: 'https://receiver.invalid/hook',
      events: ['case.created'],
      active: false,
    }),
    'webhook',
  );
  const webhookId = idOf(webhook);
  const d = await env.ctx.database.db
    .insertInto('webhook_deliveries')
    .values({
      county_code: COUNTY,
      subscription_id: webhookId,
      event: 'ping',
      payload: JSON.stringify({ event: 'ping' }),
      status: 'failed',
      created_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const catalogue = ok(
    await api.post('/api/integrations/catalogue', {
      system: '矩阵测试系统',
      direction: 'out',
      dataItems: ['诉求编号'],
      channel: 'webhook',
    }),
    'catalogue',
  );
  const key = ok(await api.post('/api/integrations/api-keys', { name: '矩阵', system: '测试' }), 'api key');
  ok(
    await env.app.inject({
      method: 'PUT',
      url: '/api/calendar/overrides/2026-12-05',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      payload: { working: true, note: '矩阵测试' },
    }),
    'calendar override',
  );
  const rule = ok(
    await api.post('/api/devices/rules', {
      deviceType: 'smoke_sensor',
      alarmType: 'matrix_smoke',
      label: '烟感',
      categoryId: 'JF01',
      urgency: 'urgent',
    }),
    'rule',
  );
  return {
    category: 'JF01',
    date: '2026-12-05',
    webhook: webhookId,
    delivery: String(d.id),
    catalogue: idOf(catalogue),
    apiKey: idOf(key),
    rule: idOf(rule),
  };
}

export async function buildWorld(env: TestEnv): Promise<World> {
  const actors = {} as Record<ActorName, Session | null>;
  const unitsA = await newUnits(env);
  for (const role of STAFF_ROLES) actors[role] = await staff(env, role, unitFor(role, unitsA));
  // Admins may only belong to the county: moved into township A behind the service's back.
  await env.ctx.database.db
    .updateTable('users')
    .set({ org_id: unitsA.township })
    .where('id', '=', actors.admin!.userId)
    .execute();
  actors.anonymous = null;
  const a = await buildSide(env, 'A', unitsA, new Map(STAFF_ROLES.map((r) => [r as string, actors[r]!])));
  actors.citizen = a.citizen;
  const b = await buildSide(env, 'B', await newUnits(env), new Map());
  return { a, b, actors, county: await countyConfig(env, actors.admin!) };
}
