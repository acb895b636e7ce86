/**
 * The authorization matrix: every route × every role × {own jurisdiction, another jurisdiction, no
 * session}, with the expected answer worked out from the route's declared access rule and
 * `ROLE_PERMISSIONS` — the one table that decides who may do what — so a new route or a changed
 * permission is covered without editing this file:
 *
 * - no session → 401 `AUTH_REQUIRED`, unless the route is public (and then it is listed in PUBLIC);
 * - a citizen on a staff route, staff on a citizen route → 401;
 * - a staff role without the route's permission → 403 `FORBIDDEN` (before any record is looked at);
 * - a role that may, on another township's record → 404 `NOT_FOUND` (never 403);
 * - a role that may, on its own record → not 401/403/404 (2xx, or a 4xx about the input or state).
 *
 * After every refused call the database is unchanged (row-level change counters on every table,
 * `test/matrix/fingerprint.ts`), and no answer to township A's people carries township B's marker.
 *
 * The second part checks that anonymous and confidential appeals never reveal the citizen to
 * handlers on any case-reading endpoint.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STAFF_ROLES, type StaffRole } from '../common/roles.ts';
import { type Permission, roleCan } from '../server/authz/permissions.ts';
import { maskPhone } from '../server/lib/crypto.ts';
import { createTestEnv, type TestEnv } from './context.ts';
import { as } from './factories.ts';
import { changedTables, installChangeCounter, readChanges } from './matrix/fingerprint.ts';
import { placedResource, requestFor, resetSocket, send, Unmapped } from './matrix/requests.ts';
import { seenRoutes } from './matrix/route-log.ts';
import { apiRoutes, type Route } from './matrix/routes.ts';
import { ACTORS, type ActorName, buildWorld, type Session, type World } from './matrix/world.ts';

// Every route the app registers, as the app registers it (test/matrix/route-log.ts).
vi.mock('fastify', async (importOriginal) =>
  (await import('./matrix/route-log.ts')).withRouteLog(await importOriginal<typeof import('fastify')>()),
);
const seen = seenRoutes;

/** Routes anyone may call, by design. A route that becomes public must be added here on purpose. */
const PUBLIC: Record<string, string> = {
  'GET /api/health': 'readiness probe',
  'GET /api/public/config': 'county code and map tile URL',
  'GET /api/public/board': 'anonymised board of resolved appeals',
  'GET /api/public/regions': 'the territorial tree',
  'GET /api/public/grids': 'grid shapes of a village',
  'GET /api/public/categories': 'the category tree for the appeal form',
  'POST /api/auth/login': 'sign-in',
  'GET /api/auth/me': 'who am I (anonymous without a session)',
  'POST /api/auth/otp/request': 'citizen sign-in, step 1',
  'POST /api/auth/otp/verify': 'citizen sign-in, step 2',
  'POST /api/iot/alarms': 'devices sign each message (X-Device-Id, X-Signature); no session',
  'POST /api/iot/camera-events': 'cameras sign each event; no session',
  'GET /open311/v2/discovery.:format': 'Open311: public by the standard',
  'GET /open311/v2/services.:format': 'Open311: public by the standard',
  'GET /open311/v2/services/:service_code.:format': 'Open311: public by the standard',
  'POST /open311/v2/requests.:format': 'Open311: the plugin requires an api_key',
  'GET /open311/v2/requests.:format': 'Open311: public-safe requests only',
  'GET /open311/v2/tokens/:token.:format': 'Open311: public by the standard',
  'GET /open311/v2/requests/:service_request_id.:format': 'Open311: public-safe requests only',
  'GET /open311/v2/servicerequestupdates.:format': 'Open311: public-safe updates only',
  'POST /open311/v2/servicerequestupdates.:format': 'Open311: the plugin requires an api_key',
  'GET /open311/v2/media/:attachment_id': 'Open311: photos of public-safe requests only',
};

/**
 * Staff routes that declare no permission: the rule their service applies, in the permission
 * table's terms (`anyOf`: the role needs one of these; none: every staff role).
 */
const SERVICE_RULES: Record<string, { anyOf?: Permission[]; why: string }> = {
  'GET /api/patrols': {
    anyOf: ['patrol.read', 'patrol.record'],
    why: 'patrols in the territory (patrol.read) or one’s own (patrol.record); patrols.service',
  },
  'GET /api/patrols/:id': {
    anyOf: ['patrol.read', 'patrol.record'],
    why: 'as the list; one’s own patrol only without patrol.read',
  },
  'GET /api/categories': {
    anyOf: ['case.read', 'category.manage'],
    why: 'staff who read cases, and admins (categories.service canReadCategories)',
  },
  'GET /api/calendar': { why: 'every staff member sees the working calendar that sets their deadlines' },
};

/**
 * A person of township A for whom their "own" record of a resource is outside their reach by
 * design (their unit is not territorial, or the record is not theirs): 404 there is right.
 */
const OUTSIDE_BY_DESIGN: Record<string, Partial<Record<ActorName, string>>> = {
  citizen: { department_handler: 'a department has no territory, so no residents of its own' },
  grid: { department_handler: 'a department has no territory, so no grids' },
  patrol: { cadre: 'without patrol.read one sees only one’s own patrols; this is the grid worker’s' },
};

/**
 * Records readable only through another record: the permission that record needs. A role without
 * it finds them "not found" (the attachment's case is out of its reach), never "forbidden".
 */
const READ_THROUGH: Record<string, Permission> = {
  attachment: 'case.read',
};

type Outcome = 'allowed' | 'AUTH_REQUIRED' | 'FORBIDDEN' | 'NOT_FOUND';

/** The answer the permission table demands, or a reason the test cannot classify the route. */
function expected(route: Route, actor: ActorName, side: 'own' | 'other'): Outcome | { unclassified: string } {
  const access = route.access;
  if (!access) return { unclassified: `${route.key} declares no access rule` };
  if (access.who === 'public')
    return PUBLIC[route.key]
      ? 'allowed'
      : { unclassified: `${route.key} is public but not in PUBLIC — add it with the reason, or guard it` };
  if (actor === 'anonymous') return 'AUTH_REQUIRED';
  const resource = placedResource(route);
  const through = resource ? READ_THROUGH[resource] : undefined;
  const scoped = (): Outcome =>
    side === 'other' && resource
      ? 'NOT_FOUND'
      : through && actor !== 'citizen' && !roleCan(actor as StaffRole, through)
        ? 'NOT_FOUND'
        : 'allowed';
  if (access.who === 'citizen') return actor === 'citizen' ? scoped() : 'AUTH_REQUIRED';
  if (access.who === 'signed_in') return scoped();
  if (access.who === 'staff') {
    if (actor === 'citizen') return 'AUTH_REQUIRED';
    const role = actor as StaffRole;
    let may: boolean;
    if (access.permission) may = roleCan(role, access.permission);
    else {
      const rule = SERVICE_RULES[route.key];
      if (!rule)
        return {
          unclassified: `${route.key} is a staff route without a permission: give it one in its config.access, or add it to SERVICE_RULES in test/authz-matrix.test.ts with the rule its service applies`,
        };
      may = !rule.anyOf || rule.anyOf.some((p) => roleCan(role, p));
    }
    return may ? scoped() : 'FORBIDDEN';
  }
  return { unclassified: `${route.key}: unknown access rule ${JSON.stringify(access)}` };
}

const REFUSALS = { AUTH_REQUIRED: 401, FORBIDDEN: 403, NOT_FOUND: 404 } as const;

let env: TestEnv;
let world: World;
let routes: Route[];
const counts = { requests: 0, refused: 0, cells: 0 };

beforeAll(async () => {
  env = await createTestEnv();
  world = await buildWorld(env);
  await installChangeCounter(env.ctx.database);
  // Signing out ends the session the other rows need: that route goes last.
  routes = apiRoutes(seen).sort(
    (a, b) => Number(a.key === 'POST /api/auth/logout') - Number(b.key === 'POST /api/auth/logout'),
  );
}, 600_000);
afterAll(async () => {
  resetSocket();
  console.info(
    `authorization matrix: ${routes.length} routes × ${ACTORS.length} callers, ${counts.cells} cells, ${counts.requests} requests, ${counts.refused} refused`,
  );
  await env.close();
});

const codeOf = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

/**
 * Anonymous and confidential appeals: no staff role sees who the citizen is on any endpoint that
 * reads cases; only the centre (operator, county dispatcher) may reveal a confidential appeal's
 * contact, and each reveal is audited; an anonymous appeal's contact is never revealed.
 */
describe('anonymous and confidential appeals never reveal the citizen to handlers', () => {
  interface Secret {
    id: string;
    code: string;
    kind: 'anonymous' | 'confidential';
    phone: string;
    name: string;
    citizenId?: string;
  }
  const secrets: Secret[] = [];

  beforeAll(async () => {
    const village = world.a.village;
    const take = async (s: Session, url: string, body: Record<string, unknown>) => {
      const res = await as(env, s).post(url, {
        type: 'appeal',
        categoryId: 'JF01',
        villageId: village,
        ...body,
      });
      if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`);
      return res.json().case as { id: string; code: string };
    };
    let n = 0;
    for (const kind of ['anonymous', 'confidential'] as const) {
      // By a citizen on the portal: the citizen's own phone and a name.
      const phone = `1370000${kind === 'anonymous' ? '1' : '2'}${String(++n).padStart(3, '0')}`;
      const { signInCitizen } = await import('./factories.ts');
      const citizen = await signInCitizen(env, phone);
      const name = `隐名${kind === 'anonymous' ? '甲' : '乙'}某`;
      const me = await as(env, citizen).get('/api/auth/me');
      const mine = await take({ ...citizen, userId: '', ip: '' }, '/api/my/cases', {
        channel: 'web',
        description: `邻居噪音扰民 ${kind}`,
        contactName: name,
        contactPhone: phone,
        [kind]: true,
      });
      secrets.push({ ...mine, kind, phone, name, citizenId: me.json().citizen?.id ?? me.json().id });
      // By the hotline: the operator types the caller's phone and name.
      const phone2 = `1360000${kind === 'anonymous' ? '1' : '2'}${String(++n).padStart(3, '0')}`;
      const name2 = `来电${kind === 'anonymous' ? '丙' : '丁'}某`;
      const taken = await take(world.actors.operator!, '/api/cases', {
        channel: 'phone',
        description: `反映村干部问题 ${kind}`,
        contactName: name2,
        contactPhone: phone2,
        [kind]: true,
      });
      secrets.push({ ...taken, kind, phone: phone2, name: name2 });
    }
  });

  const needles = (s: Secret) => [s.phone, maskPhone(s.phone), s.name, ...(s.citizenId ? [s.citizenId] : [])];

  it('no case-reading endpoint shows any staff role the citizen behind them', async () => {
    // Every GET route that reads cases (the route list decides, not a hand list): case detail,
    // timeline, duplicates, alarms, lists and search, notifications, exports, the public board and
    // Open311 — for each secret case, each staff role, and without a session.
    const reading = routes.filter(
      (r) => r.method === 'GET' && !r.streaming && r.key !== 'GET /api/health' && !r.url.includes('/auth/'),
    );
    const leaks: string[] = [];
    let calls = 0;
    for (const actor of [...STAFF_ROLES, 'anonymous'] as ActorName[]) {
      for (const route of reading) {
        // A caller the guards refuse gets an error body, nothing to search.
        if (expected(route, actor, 'own') !== 'allowed') continue;
        const req = requestFor(world, route, actor, world.a);
        // Record routes: aimed at each secret case. Lists: once, and searched by each citizen's
        // phone and name (finding the case by them would reveal who sent it).
        const aimed = req.url.includes(world.a.case.id) || req.url.includes(world.a.case.code);
        const urls: { url: string; searchFor?: Secret }[] = aimed
          ? secrets.map((x) => ({
              url: req.url.replace(world.a.case.id, x.id).replace(world.a.case.code, x.code),
            }))
          : [{ url: req.url }];
        if (route.key === 'GET /api/cases')
          for (const x of secrets)
            for (const q of [x.name, x.phone])
              urls.push({ url: `/api/cases?queue=all&limit=100&q=${encodeURIComponent(q)}`, searchFor: x });
        for (const { url, searchFor } of urls) {
          const res = await send(env.app, route, { ...req, url });
          calls++;
          for (const secret of secrets)
            for (const needle of needles(secret))
              if (res.body.includes(needle))
                leaks.push(`${secret.kind} ${secret.code}: ${actor} ${url} shows ${needle}`);
          if (searchFor && res.body.includes(searchFor.code))
            leaks.push(
              `${searchFor.kind} ${searchFor.code}: ${actor} ${url} finds it by the citizen's contact`,
            );
        }
      }
    }
    counts.requests += calls;
    expect(leaks).toEqual([]);
    expect(calls).toBeGreaterThan(100);
  }, 300_000);

  it('reveal: never for an anonymous appeal; for a confidential one only the centre, and audited', async () => {
    const problems: string[] = [];
    for (const secret of secrets) {
      for (const role of STAFF_ROLES) {
        const s = world.actors[role]!;
        const before = await readChanges(env.ctx.database);
        const res = await as(env, s).post(`/api/cases/${secret.id}/reveal-contact`, { reason: '回访核实' });
        counts.requests++;
        const changed = changedTables(before, await readChanges(env.ctx.database));
        const centre = role === 'operator' || role === 'county_dispatcher';
        if (res.statusCode === 200) {
          if (secret.kind !== 'confidential' || !centre)
            problems.push(`${role} revealed ${secret.kind} ${secret.code}: ${res.body}`);
          else if (!changed.includes('audit_log'))
            problems.push(`${role} revealed ${secret.code} without an audit entry`);
        } else {
          if (res.statusCode !== 403 && res.statusCode !== 404)
            problems.push(`${role} reveal of ${secret.kind} ${secret.code}: ${res.statusCode} ${res.body}`);
          if (changed.length)
            problems.push(`${role} refused reveal of ${secret.code} changed ${changed.join(', ')}`);
          // The centre must be able to call back a confidential hotline caller (with a record).
          if (secret.kind === 'confidential' && centre && !secret.citizenId)
            problems.push(`${role} could not reveal confidential ${secret.code}: ${res.statusCode}`);
        }
        const mayReveal = res.statusCode === 200 && secret.kind === 'confidential' && centre;
        for (const needle of [secret.phone, secret.name])
          if (!mayReveal && res.body.includes(needle))
            problems.push(`${role}: refused reveal shows ${needle}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('authorization matrix', () => {
  it('classifies every route: an access rule the permission table decides, and a record for every path parameter', () => {
    expect(routes.length).toBeGreaterThanOrEqual(80);
    const problems: string[] = [];
    for (const route of routes) {
      for (const actor of ACTORS)
        for (const side of ['own', 'other'] as const) {
          const e = expected(route, actor, side);
          if (typeof e === 'object') problems.push(e.unclassified);
        }
      try {
        requestFor(world, route, 'admin', world.a);
      } catch (e) {
        if (e instanceof Unmapped) problems.push(e.message);
        else throw e;
      }
    }
    expect([...new Set(problems)]).toEqual([]);
    const publicRoutes = routes.filter((r) => r.access?.who === 'public').map((r) => r.key);
    expect(
      Object.keys(PUBLIC).filter((k) => !publicRoutes.includes(k)),
      'PUBLIC lists routes that are not public (or no longer exist)',
    ).toEqual([]);
    for (const key of Object.keys(SERVICE_RULES)) expect(routes.map((r) => r.key)).toContain(key);
  });

  it('answers every route × role × jurisdiction as the permission table says, and a refused call changes nothing', async () => {
    const failures: string[] = [];
    // Nothing else writes between two requests: one reading serves as "after" and the next "before".
    let before = await readChanges(env.ctx.database);
    for (const route of routes) {
      for (const actor of ACTORS) {
        for (const sideName of ['own', 'other'] as const) {
          // Without a session there is no jurisdiction: one call.
          if (actor === 'anonymous' && sideName === 'other') continue;
          const want = expected(route, actor, sideName);
          if (typeof want === 'object') continue; // reported by the classification test
          if (sideName === 'other' && !placedResource(route)) continue; // nothing of B's to name
          const side = sideName === 'own' ? world.a : world.b;
          const req = requestFor(world, route, actor, side);
          const res = await send(env.app, route, req);
          const after = await readChanges(env.ctx.database);
          counts.requests++;
          counts.cells++;
          const code = route.open311 ? undefined : codeOf(res.body);
          const where = `${route.key} as ${actor} (${sideName}) ${req.method} ${req.url}`;
          const outside = OUTSIDE_BY_DESIGN[placedResource(route) ?? '']?.[actor];
          // A refusal by the guards (not a wrong password, code or device signature: those are input).
          const refused = code && code in REFUSALS ? (code as keyof typeof REFUSALS) : undefined;
          if (res.status >= 500) failures.push(`${where}: ${res.status} ${res.body.slice(0, 200)}`);
          else if (want === 'allowed') {
            if (refused && !(refused === 'NOT_FOUND' && outside))
              failures.push(`${where}: refused ${res.status} ${code}, the permission table allows it`);
          } else if (res.status !== REFUSALS[want] || code !== want) {
            failures.push(
              `${where}: ${res.status} ${code ?? res.body.slice(0, 120)}, expected ${REFUSALS[want]} ${want}`,
            );
          }
          if (refused || want !== 'allowed') {
            counts.refused++;
            const changed = changedTables(before, after);
            if (changed.length > 0)
              failures.push(`${where}: refused (${res.status}) but changed ${changed.join(', ')}`);
          }
          before = after;
          // Nothing of township B in anything township A's people are shown (public data aside).
          if (sideName === 'own' && route.access?.who !== 'public' && res.body.includes(world.b.marker))
            failures.push(`${where}: the answer holds township B's data (${world.b.marker})`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
