/**
 * A client that behaves like a real one towards a server that may die at any moment: every
 * submission carries its own idempotency key, and anything but an answer (no connection, a cut
 * connection, a timeout, a 503) is retried with the same key until the server answers 2xx.
 */
import fs from 'node:fs';
import { sleep } from './harness.ts';

export interface Session {
  cookie: string;
  csrf: string;
  /** X-Forwarded-For of this person (the server trusts the proxy header in these tests). */
  xff: string;
}

/** What the clients saw, for the report. */
export interface Stats {
  /** HTTP requests sent (first tries and retries). */
  requests: number;
  /** Submissions answered 2xx (each counted once). */
  acked: number;
  /** Of those, answered 201 (new) and 200 (`replayed`: a retry found the first case). */
  created: number;
  replayed: number;
  /** Requests sent again with the same key. */
  retries: number;
  /** Failures by kind: no connection / cut, 503 (with its code), other 5xx. */
  networkErrors: number;
  status503: number;
  status5xx: number;
  codes503: Record<string, number>;
}

export function newStats(): Stats {
  return {
    requests: 0,
    acked: 0,
    created: 0,
    replayed: 0,
    retries: 0,
    networkErrors: 0,
    status503: 0,
    status5xx: 0,
    codes503: {},
  };
}

/** A submission the server acknowledged. */
export interface Ack {
  key: string;
  caseId: string;
  code: string;
  /** Submitted by a signed-in citizen (their appeal has an SMS and an in-app acknowledgement). */
  citizen: boolean;
  status: number;
  attempts: number;
}

function cookieOf(res: Response): string {
  const c = res.headers.getSetCookie().find((v) => v.startsWith('gz_session='));
  if (!c) throw new Error(`no session cookie (HTTP ${res.status})`);
  return c.split(';')[0]!;
}

/** Retries `fn` on network errors and 5xx until it succeeds or time runs out (sign-ins across kills). */
async function persist<T>(what: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const limit = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      if (Date.now() > limit) throw new Error(`${what}: ${String(err)}`);
      await sleep(500);
    }
  }
}

function fatal(message: string): Error {
  return Object.assign(new Error(message), { fatal: true });
}

export async function staffLogin(base: () => string, username: string, xff: string): Promise<Session> {
  return persist(`login ${username}`, async () => {
    const res = await fetch(`${base()}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
      body: JSON.stringify({ username, password: 'gongzhi2026' }),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status >= 500) throw new Error(`login: HTTP ${res.status}`);
    if (res.status !== 200) throw fatal(`login ${username}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { csrfToken: string };
    return { cookie: cookieOf(res), csrf: body.csrfToken, xff };
  });
}

/** The latest one-time code for `phone` in the server log (development sender). */
function otpIn(logFile: string, phone: string): string | undefined {
  let code: string | undefined;
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"sms"') || !line.includes(phone)) continue;
    try {
      const e = JSON.parse(line) as { sms?: { to?: string; text?: string } };
      if (e.sms?.to === phone) code = /\b(\d{6})\b/.exec(e.sms.text ?? '')?.[1] ?? code;
    } catch {
      // a line cut by a kill
    }
  }
  return code;
}

/** Signs a citizen in with phone + one-time code (read from the server's log). */
export async function citizenLogin(
  base: () => string,
  logFile: () => string,
  phone: string,
  xff: string,
): Promise<Session> {
  return persist(`citizen ${phone}`, async () => {
    const before = otpIn(logFile(), phone);
    const r = await fetch(`${base()}/api/auth/otp/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
      body: JSON.stringify({ phone }),
      signal: AbortSignal.timeout(30_000),
    });
    if (r.status >= 500) throw new Error(`otp request: HTTP ${r.status}`);
    if (r.status !== 200) throw new Error(`otp request ${phone}: HTTP ${r.status} ${await r.text()}`);
    let code: string | undefined;
    for (let i = 0; i < 100 && (!code || code === before); i++) {
      await sleep(100);
      code = otpIn(logFile(), phone);
    }
    if (!code) throw new Error(`no code for ${phone} in the log`);
    const v = await fetch(`${base()}/api/auth/otp/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
      body: JSON.stringify({ phone, code }),
      signal: AbortSignal.timeout(30_000),
    });
    if (v.status !== 200) throw new Error(`otp verify ${phone}: HTTP ${v.status} ${await v.text()}`);
    const body = (await v.json()) as { csrfToken: string };
    return { cookie: cookieOf(v), csrf: body.csrfToken, xff };
  });
}

/** An authenticated JSON request (no retry). */
export async function call(
  base: string,
  session: Session | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(session
        ? { cookie: session.cookie, 'x-csrf-token': session.csrf, 'x-forwarded-for': session.xff }
        : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
}

/**
 * Submits one appeal and retries it with the same key until the server answers 2xx. A 4xx other
 * than 429 is a bug in the test or the server and fails at once; so does running out of time.
 * `base()` is read on every try, so a caller may move the load to another process.
 */
export async function submitUntilAcked(
  base: () => string,
  session: Session,
  opts: { citizen: boolean; key: string; body: Record<string, unknown>; stats: Stats; timeoutMs?: number },
): Promise<Ack> {
  const { stats } = opts;
  const limit = Date.now() + (opts.timeoutMs ?? 300_000);
  const path = opts.citizen ? '/api/my/cases' : '/api/cases';
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) stats.retries++;
    stats.requests++;
    let res: Response | undefined;
    try {
      res = await call(base(), session, 'POST', path, opts.body, { 'idempotency-key': opts.key });
    } catch {
      stats.networkErrors++;
    }
    if (res) {
      if (res.status === 201 || res.status === 200) {
        const body = (await res.json()) as { case: { id: string; code: string } };
        stats.acked++;
        if (res.status === 201) stats.created++;
        else stats.replayed++;
        return {
          key: opts.key,
          caseId: body.case.id,
          code: body.case.code,
          citizen: opts.citizen,
          status: res.status,
          attempts: attempt,
        };
      }
      const text = await res.text();
      if (res.status === 503) {
        stats.status503++;
        const code = safeCode(text);
        stats.codes503[code] = (stats.codes503[code] ?? 0) + 1;
      } else if (res.status >= 500) {
        stats.status5xx++;
      } else if (res.status !== 429) {
        throw new Error(`submission ${opts.key}: HTTP ${res.status} ${text}`);
      }
    }
    if (Date.now() > limit) throw new Error(`submission ${opts.key} not acknowledged after ${attempt} tries`);
    // Back off a little (with jitter) so a restarting server is not hammered.
    await sleep(Math.min(150 * attempt, 1000) + Math.random() * 150);
  }
}

function safeCode(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? 'none');
  } catch {
    return 'not-json';
  }
}

/** An appeal body as the operator's quick entry or the citizen portal sends it. */
export function appealBody(n: number, villageId: string, citizen: boolean): Record<string, unknown> {
  const categories = ['SR01', 'SR03', 'ST04'];
  return {
    type: 'appeal',
    channel: citizen ? 'web' : 'phone',
    categoryId: categories[n % categories.length],
    description: `可靠性测试诉求 ${n}：小区门口垃圾清运不及时，请尽快处理`,
    villageId,
    ...(citizen ? {} : { contactName: '测试群众', contactPhone: `139${String(10_000_000 + n).slice(-8)}` }),
  };
}
