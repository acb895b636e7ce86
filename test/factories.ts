import type { StaffRole } from '../common/roles.ts';
import { systemActor } from '../server/authz/actor.ts';
import type { AppContext } from '../server/context.ts';
import { maskPhone } from '../server/lib/crypto.ts';
import { seedCategories } from '../server/modules/categories/categories.loader.ts';
import { upsertGrids, upsertOrgs } from '../server/modules/orgs/orgs.loader.ts';
import { createUser } from '../server/modules/users/users.service.ts';
import type { TestEnv } from './context.ts';

/**
 * Factories that build their own parents, so no test needs a cleared or pre-seeded database.
 * Codes are drawn from a per-process counter inside the demo county's code space.
 */
export const COUNTY = '360121';
export const PASSWORD = 'test-pass-2026';
let serial = 0;
const next = () => ++serial;

export async function ensureCounty(ctx: AppContext): Promise<void> {
  await ctx.database.db
    .insertInto('counties')
    .values({
      code: COUNTY,
      name: '南昌县',
      city_code: '3601',
      city_name: '南昌市',
      province_code: '36',
      province_name: '江西省',
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await upsertOrgs(
    ctx.database.db,
    COUNTY,
    [{ id: COUNTY, parentId: null, kind: 'county', subtype: null, name: '南昌县', sort: 0 }],
    new Date(),
  );
  if (!withCategories.has(ctx.database)) {
    await seedCategories(ctx.database.db, COUNTY, new Date());
    withCategories.add(ctx.database);
  }
}
/** Databases that already hold the category taxonomy. */
const withCategories = new WeakSet<object>();

export async function createTownship(ctx: AppContext): Promise<string> {
  await ensureCounty(ctx);
  const id = `${COUNTY}${String(100 + next()).padStart(3, '0')}`;
  await upsertOrgs(
    ctx.database.db,
    COUNTY,
    [{ id, parentId: COUNTY, kind: 'township', subtype: 'town', name: `测试镇${id.slice(-3)}`, sort: 0 }],
    new Date(),
  );
  return id;
}

export async function createVillage(ctx: AppContext, opts: { townshipId?: string } = {}): Promise<string> {
  const townshipId = opts.townshipId ?? (await createTownship(ctx));
  const id = `${townshipId}${String(next()).padStart(3, '0')}`;
  await upsertOrgs(
    ctx.database.db,
    COUNTY,
    [
      {
        id,
        parentId: townshipId,
        kind: 'village',
        subtype: 'village',
        name: `测试村${id.slice(-6)}`,
        sort: 0,
      },
    ],
    new Date(),
  );
  return id;
}

export async function createCentre(ctx: AppContext, parentId: string): Promise<string> {
  const id = `${parentId}C`;
  await upsertOrgs(
    ctx.database.db,
    COUNTY,
    [{ id, parentId, kind: 'centre', subtype: null, name: `中心${parentId}`, sort: 0 }],
    new Date(),
  );
  return id;
}

export async function createDepartment(ctx: AppContext): Promise<string> {
  await ensureCounty(ctx);
  const id = `${COUNTY}D${String(next()).padStart(3, '0')}`;
  await upsertOrgs(
    ctx.database.db,
    COUNTY,
    [{ id, parentId: COUNTY, kind: 'department', subtype: 'test', name: `测试局${id}`, sort: 0 }],
    new Date(),
  );
  return id;
}

export async function createGrid(ctx: AppContext, opts: { villageId?: string } = {}): Promise<string> {
  const villageId = opts.villageId ?? (await createVillage(ctx));
  const id = `${villageId}${String(next() % 1000).padStart(3, '0')}`;
  const x = 116 + (next() % 100) / 1000;
  const geometry = {
    type: 'Polygon' as const,
    coordinates: [
      [
        [x, 28.5],
        [x + 0.001, 28.5],
        [x + 0.001, 28.501],
        [x, 28.501],
        [x, 28.5],
      ],
    ],
  };
  await upsertGrids(
    ctx.database.db,
    COUNTY,
    [{ id, villageId, name: `网格${id.slice(-3)}`, geometry }],
    new Date(),
  );
  return id;
}

/** The kind of unit a role is placed in when the test does not say. */
async function defaultOrgFor(ctx: AppContext, role: StaffRole): Promise<string> {
  switch (role) {
    case 'grid_worker':
    case 'village_handler':
      return createVillage(ctx);
    case 'township_dispatcher':
      return createCentre(ctx, await createTownship(ctx));
    case 'department_handler':
      return createDepartment(ctx);
    case 'admin':
    case 'leader':
    case 'special_supervisor':
      await ensureCounty(ctx);
      return COUNTY;
    case 'cadre':
      return createTownship(ctx);
    case 'mediator':
      return createCentre(ctx, await createTownship(ctx));
    case 'operator':
    case 'county_dispatcher':
    case 'supervisor':
    case 'revisit_agent':
    case 'expert':
    case 'lawyer':
      await ensureCounty(ctx);
      return createCentre(ctx, COUNTY);
  }
}

export interface StaffSession {
  userId: string;
  username: string;
  orgId: string;
  cookie: string;
  csrf: string;
}

/** Creates a staff account (in a fresh unit unless `orgId` is given) and signs it in. */
export async function createStaff(
  env: TestEnv,
  role: StaffRole,
  opts: { orgId?: string } = {},
): Promise<StaffSession> {
  const orgId = opts.orgId ?? (await defaultOrgFor(env.ctx, role));
  const username = `${role.replace(/_/g, '')}${next()}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `${role} ${username}`,
    role,
    orgId,
    password: PASSWORD,
  });
  const s = await signIn(env, username, PASSWORD);
  return { userId: id, username, orgId, ...s };
}

/** Signs in through the API and returns the cookie and CSRF token. */
export async function signIn(
  env: TestEnv,
  username: string,
  password: string,
): Promise<{ cookie: string; csrf: string }> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password },
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session');
  return { cookie: `gz_session=${cookie!.value}`, csrf: res.json().csrfToken };
}

/** A citizen with an encrypted phone, optionally placed in a home village. */
export async function createCitizen(ctx: AppContext, opts: { homeOrgId?: string; phone?: string } = {}) {
  await ensureCounty(ctx);
  const phone = opts.phone ?? `139${String(10_000_000 + next() * 7919).slice(-8)}`;
  const row = await ctx.database.db
    .insertInto('citizens')
    .values({
      county_code: COUNTY,
      phone_hash: ctx.cipher.blindIndex(phone),
      phone_enc: ctx.cipher.encrypt(phone),
      phone_masked: maskPhone(phone),
      home_org_id: opts.homeOrgId ?? null,
      key_id: ctx.cipher.currentKeyId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, phone };
}

let citizenIp = 0;

/**
 * Signs a citizen in with a one-time code read from the test SMS sender. Each call comes from an
 * address of its own unless `ip` is given, so the per-address code limits never interfere.
 */
export async function signInCitizen(
  env: TestEnv,
  phone: string,
  ip = `10.77.${Math.floor(++citizenIp / 250)}.${(citizenIp % 250) + 1}`,
): Promise<{ cookie: string; csrf: string }> {
  const req = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/request',
    payload: { phone },
    remoteAddress: ip,
  });
  if (req.statusCode !== 200) throw new Error(`code request failed: ${req.statusCode} ${req.body}`);
  const text = env.sms.sent.filter((m) => m.phone === phone).at(-1)?.text ?? '';
  const code = /([0-9]{6})/.exec(text)?.[1];
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/verify',
    payload: { phone, code },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`code sign-in failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session');
  return { cookie: `gz_session=${cookie!.value}`, csrf: res.json().csrfToken as string };
}

/** Sends a request as a signed-in user (cookie + CSRF header). */
export function as(env: TestEnv, s: { cookie: string; csrf: string } | null) {
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    env.app.inject({
      method,
      url,
      headers: s ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : {},
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, body?: unknown) => call('POST', url, body ?? {}),
    patch: (url: string, body?: unknown) => call('PATCH', url, body ?? {}),
  };
}

/** How many cases the database holds: a refused intake must leave it unchanged. */
export async function countCases(env: TestEnv): Promise<number> {
  const row = await env.ctx.database.db
    .selectFrom('cases')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
