/**
 * Schema-derived fuzzing of every route: from each route's params, query and body schemas,
 * fast-check builds requests that are valid-looking or hostile — wrong types, huge strings,
 * control characters, lone surrogates, raw invalid UTF-8, SQL and HTML injection, JSON nested
 * 10,000 deep, `__proto__` / `constructor` keys — and sends them as an anonymous caller and as the
 * signed-in people who pass the route's guard. Every answer is checked:
 *
 * - never a 5xx;
 * - no stack trace, source path, `node_modules` or SQL error text in the body;
 * - errors in the stable format (`{ error: { code, message }, requestId }` under /api, Open311's
 *   own `errors` list under /open311);
 * - a rejected request (4xx) changed nothing in the database (the change counters of
 *   `test/matrix/fingerprint.ts`), except the few writes a refusal makes by design (REFUSAL_WRITES);
 * - `Object.prototype` is never polluted.
 *
 * Shared by `test/fuzz.test.ts` (fixed seed, a few runs per route) and `scripts/fuzz.ts` (the full run).
 */
import fc from 'fast-check';
import type { Database } from '../../server/db/database.ts';
import type { App } from '../../server/http/app.ts';
import { changedTables, readChanges } from '../matrix/fingerprint.ts';
import { type Request, send } from '../matrix/requests.ts';
import type { Route } from '../matrix/routes.ts';
import type { Session } from '../matrix/world.ts';
import { HOSTILE_STRINGS, hostile, hostileString, type JsonSchema, valid } from './schema.ts';

export interface Caller {
  name: string;
  session: Session | null;
}

export interface FuzzPlan {
  /** The callers to use for a route (anonymous is always one of them). */
  callersFor(route: Route): Caller[];
  /** Real values for a path parameter (ids of records that exist), if any. */
  knownParam(route: Route, name: string): string[];
}

export interface Finding {
  route: string;
  caller: string;
  method: string;
  url: string;
  status: number;
  problem: string;
  body: string;
}

export interface FuzzResult {
  requests: number;
  byStatus: Record<string, number>;
  findings: Finding[];
}

/**
 * Tables a refused request writes on purpose, with the reason: a wrong password counts towards the
 * lockout and is audited, a wrong one-time code uses up an attempt, a device message that fails its
 * signature is kept for the admins to see.
 */
export const REFUSAL_WRITES: Record<string, { tables: string[]; why: string }> = {
  'POST /api/auth/login': {
    tables: ['audit_log', 'users', 'login_attempts'],
    why: 'failed sign-ins are audited and count towards the lockout',
  },
  'POST /api/auth/otp/verify': {
    tables: ['audit_log', 'otp_codes'],
    why: 'a wrong code uses up one of the code’s attempts and is audited',
  },
  'POST /api/iot/alarms': {
    tables: ['iot_rejections'],
    why: 'refused device messages are kept for the admins (GET /api/iot/rejections)',
  },
  'Open311 (every /open311 route)': {
    tables: ['audit_log'],
    why: 'every Open311 call is audited, refused ones too: key, endpoint, outcome (open311.routes)',
  },
  'POST /api/cases': {
    tables: ['case_sequences'],
    why: 'the day’s tracking-code counter is taken before the intake’s transaction, so that intakes do not queue on its lock; a refused intake leaves a gap in the codes (docs/PERFORMANCE.md, Intake)',
  },
  'POST /api/my/cases': {
    tables: ['case_sequences'],
    why: 'as POST /api/cases: the tracking-code counter is taken before the intake’s transaction',
  },
  'POST /api/iot/camera-events': {
    tables: ['iot_rejections'],
    why: 'refused camera events are kept for the admins (GET /api/iot/rejections)',
  },
};

/** What must never appear in an answer: stack frames, source paths, SQL errors. */
const LEAKS: [RegExp, string][] = [
  [/\n\s+at [^\n]+\(/, 'stack trace'],
  [/\bat [A-Za-z0-9_.<>]+ \(\/|\bat \/[^\s]+:\d+:\d+/, 'stack frame'],
  [/\.(ts|js|mjs):\d+/, 'source position'],
  [/node_modules/, 'node_modules path'],
  [/\/work\/|\/home\/|\/usr\/lib\//, 'server path'],
  [
    /syntax error at or near|violates (unique|foreign key|check|not-null) constraint|relation "[^"]+" does not exist|invalid input syntax for|duplicate key value|column "[^"]+" does not exist|unterminated quoted|PGlite|kysely|ECONNREFUSED|pg_catalog/i,
    'database error text',
  ],
  [/FST_[A-Z_]+|TypeError|ReferenceError|RangeError|SyntaxError: /, 'internal error name'],
];

const BAD_UTF8 = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded lone surrogate
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
  Buffer.from([0xe2, 0x82]), // truncated
];

const DEEP_ARRAY = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;

/** One generated request before the caller and address are added. */
interface Draft {
  params: Record<string, string>;
  query: string;
  body?: { payload: string | Buffer; contentType?: string };
  headers: Record<string, string>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

function queryString(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object' || Array.isArray(value)) return `q=${encodePath(str(value))}`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one === undefined) continue;
      parts.push(`${encodePath(k)}=${encodePath(str(one))}`);
    }
  }
  return parts.join('&');
}

/** Percent-encoding that does not throw on lone surrogates (they go out as raw bytes). */
function encodePath(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return [...v]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          return '%ED%A0%80';
        }
      })
      .join('');
  }
}

function draftArb(route: Route, plan: FuzzPlan): fc.Arbitrary<Draft> {
  const paramProps = route.params?.properties ?? {};
  const params = fc.record(
    Object.fromEntries(
      route.paramNames.map((name) => {
        const known = plan.knownParam(route, name);
        return [
          name,
          fc.oneof(
            ...(known.length ? [{ weight: 3, arbitrary: fc.constantFrom(...known) }] : []),
            { weight: 2, arbitrary: valid(paramProps[name] ?? { type: 'string' }).map(str) },
            { weight: 2, arbitrary: hostileString },
          ),
        ];
      }),
    ) as Record<string, fc.Arbitrary<string>>,
  );

  const query = fc.oneof(
    { weight: 2, arbitrary: valid(route.query).map(queryString) },
    { weight: 3, arbitrary: hostile(route.query).map(queryString) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%E0%A4%A=1',
        '__proto__[polluted]=1&constructor[prototype][polluted]=1',
        'limit=1&limit=2&limit=3',
        `q=${'x'.repeat(10_000)}`,
        'a[b][c][d][e]=1',
        '%00=%00',
        ';;;&&&===',
      ),
    },
  );

  const jsonBody = (v: unknown) => ({
    payload: JSON.stringify(v) ?? 'null',
    contentType: 'application/json',
  });
  const body: fc.Arbitrary<Draft['body']> =
    route.method === 'GET' || route.method === 'DELETE'
      ? fc.constant(undefined)
      : route.open311
        ? fc.oneof(
            valid(route.body).map((v) => ({
              payload: queryString(v),
              contentType: 'application/x-www-form-urlencoded',
            })),
            hostile(route.body).map((v) => ({
              payload: queryString(v),
              contentType: 'application/x-www-form-urlencoded',
            })),
            fc.constantFrom(...BAD_UTF8).map((b) => ({
              payload: Buffer.concat([Buffer.from('service_code='), b]),
              contentType: 'application/x-www-form-urlencoded',
            })),
            fc.constant({
              payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n',
              contentType: 'multipart/form-data; boundary=x',
            }),
            fc.constant({ payload: DEEP_ARRAY, contentType: 'application/json' }),
          )
        : fc.oneof(
            { weight: 3, arbitrary: valid(route.body as JsonSchema | undefined).map(jsonBody) },
            { weight: 5, arbitrary: hostile(route.body as JsonSchema | undefined).map(jsonBody) },
            {
              weight: 1,
              arbitrary: fc.constantFrom(...BAD_UTF8).map((b) => ({
                payload: Buffer.concat([Buffer.from('{"x":"'), b, Buffer.from('"}')]),
                contentType: 'application/json',
              })),
            },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                { payload: DEEP_ARRAY, contentType: 'application/json' },
                { payload: DEEP_OBJECT, contentType: 'application/json' },
                {
                  payload: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
                  contentType: 'application/json',
                },
                { payload: `{"x":"${'A'.repeat(1024 * 1024)}"}`, contentType: 'application/json' },
                { payload: '{"a":1', contentType: 'application/json' },
                { payload: '{"a":1}garbage', contentType: 'application/json' },
                { payload: '', contentType: 'application/json' },
                { payload: 'null', contentType: 'application/json' },
                { payload: '"just a string"', contentType: 'application/json' },
                { payload: '{"a":1}', contentType: 'text/plain' },
                { payload: '<x/>', contentType: 'application/xml' },
                { payload: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
                { payload: '{"a":1}', contentType: 'application/json; charset=latin1' },
                { payload: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), contentType: 'image/png' },
              ),
            },
          );

  const headers = fc.record(
    {
      'idempotency-key': fc.oneof(fc.constantFrom('key-12345678', 'x'.repeat(200)), hostileString),
      'accept-language': fc.constantFrom('en', 'zh-CN', '\u0000', 'x'.repeat(5000)),
      'x-request-id': fc.constantFrom('short', 'ok-request-id-12345', '../../etc/passwd'),
      'x-device-id': hostileString,
      'x-timestamp': fc.constantFrom('0', '-1', 'NaN', '99999999999999999999', new Date().toISOString()),
      'x-signature': hostileString,
    },
    { requiredKeys: [] },
  );

  return fc.record({ params, query, body, headers });
}

/** Header values must be Latin-1 without control characters to be sent at all. */
const headerSafe = (v: string) => /^[\u0020-\u007e\u00a0-\u00ff]*$/.test(v);

function toRequest(route: Route, d: Draft, caller: Caller, ip: string): Request {
  let url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_, n: string) => encodePath(d.params[n] ?? 'x'));
  if (d.query) url += `?${d.query}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.headers)) if (headerSafe(v)) headers[k] = v;
  if (caller.session) {
    headers.cookie = caller.session.cookie;
    headers['x-csrf-token'] = caller.session.csrf;
  }
  if (d.body?.contentType) headers['content-type'] = d.body.contentType;
  return {
    method: route.method,
    url,
    headers,
    remoteAddress: ip,
    ...(d.body ? { payload: d.body.payload } : {}),
  };
}

/** The problems with one answer (empty when it is fine). */
export function check(route: Route, status: number, body: string): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`status ${status}`);
  for (const [re, what] of LEAKS) if (re.test(body)) problems.push(`${what} in the body`);
  if (status >= 400 && !route.streaming) {
    // The router refuses some URLs before any route runs (bad percent-encoding, over-long
    // parameters): those answer in the /api format, under /open311 too.
    const routerError = /^\{"error":\{"code":"BAD_REQUEST"/.test(body);
    if (route.open311 && !routerError) {
      const trimmed = body.trimStart();
      if (trimmed.startsWith('[')) {
        try {
          const list = JSON.parse(body) as { code?: unknown; description?: unknown }[];
          if (!list.every((e) => typeof e.code === 'number' && typeof e.description === 'string'))
            problems.push('Open311 error list without code/description');
        } catch {
          problems.push('Open311 error that is not JSON');
        }
      } else if (!/<errors>/.test(body)) problems.push('Open311 error in neither JSON nor XML errors format');
    } else {
      try {
        const e = JSON.parse(body) as { error?: { code?: unknown; message?: unknown }; requestId?: unknown };
        if (
          typeof e.error?.code !== 'string' ||
          !/^[A-Z_]+$/.test(e.error.code) ||
          typeof e.error.message !== 'string'
        )
          problems.push('error without { error: { code, message } }');
        if (typeof e.requestId !== 'string') problems.push('error without requestId');
      } catch {
        problems.push('error body is not JSON');
      }
    }
  }
  return problems;
}

function polluted(): boolean {
  const probe = {} as Record<string, unknown>;
  return probe.polluted !== undefined || Object.keys(Object.prototype).length > 0;
}

/**
 * Fuzzes `routes`: `runs(route, caller)` requests each, from `seed`. Calls `onProgress` now and then.
 */
export async function fuzz(
  app: App,
  database: Database,
  routes: Route[],
  plan: FuzzPlan,
  opts: { seed: number; runs: number; onProgress?: (done: number) => void },
): Promise<FuzzResult> {
  const result: FuzzResult = { requests: 0, byStatus: {}, findings: [] };
  let before = await readChanges(database);
  let n = 0;
  for (const [ri, route] of routes.entries()) {
    const callers = plan.callersFor(route);
    for (const [ci, caller] of callers.entries()) {
      const drafts = fc.sample(draftArb(route, plan), {
        seed: opts.seed + ri * 101 + ci,
        numRuns: opts.runs,
      });
      for (const d of drafts) {
        n++;
        const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const req = toRequest(route, d, caller, ip);
        let status: number;
        let body: string;
        try {
          ({ status, body } = await send(app, route, req));
        } catch (e) {
          status = 599;
          body = `request failed: ${(e as Error).message}`;
        }
        const after = await readChanges(database);
        result.requests++;
        result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
        const problems = check(route, status, body);
        if (status >= 400) {
          const allowed =
            REFUSAL_WRITES[route.open311 ? 'Open311 (every /open311 route)' : route.key]?.tables ?? [];
          const changed = changedTables(before, after).filter((t) => !allowed.includes(t));
          if (changed.length) problems.push(`rejected (${status}) but changed ${changed.join(', ')}`);
        }
        if (polluted()) {
          problems.push('Object.prototype polluted');
          for (const k of Object.keys(Object.prototype))
            delete (Object.prototype as Record<string, unknown>)[k];
        }
        before = after;
        for (const problem of problems)
          result.findings.push({
            route: route.key,
            caller: caller.name,
            method: req.method,
            url: req.url.slice(0, 300),
            status,
            problem,
            body: body.slice(0, 300),
          });
        if (opts.onProgress && n % 1000 === 0) opts.onProgress(n);
      }
    }
  }
  return result;
}

export { HOSTILE_STRINGS };
