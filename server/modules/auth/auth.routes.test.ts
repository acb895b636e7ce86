import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { COUNTY, createCentre, createTownship, createVillage, PASSWORD } from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { sha256 } from '../../lib/crypto.ts';
import { createUser } from '../users/users.service.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

// Each test signs in from an address of its own, so the per-address rate limits of one test
// cannot refuse another test's requests.
let ipSerial = 0;
const freshIp = () => {
  ipSerial++;
  return `10.20.${Math.floor(ipSerial / 250)}.${(ipSerial % 250) + 1}`;
};

let userSerial = 0;
/** A staff account that is not signed in yet (so no sign-in is spent on creating it). */
async function newStaff(opts: { role?: 'village_handler' | 'township_dispatcher'; orgId?: string } = {}) {
  const role = opts.role ?? 'village_handler';
  const orgId =
    opts.orgId ??
    (role === 'township_dispatcher'
      ? await createCentre(env.ctx, await createTownship(env.ctx))
      : await createVillage(env.ctx));
  const username = `authtest${++userSerial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `测试 ${username}`,
    role,
    orgId,
    password: PASSWORD,
  });
  return { id, username, orgId };
}

function login(username: string, password: string, ip: string, headers: Record<string, string> = {}) {
  return env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password },
    remoteAddress: ip,
    headers,
  });
}

function sessionCookieOf(res: { cookies: { name: string; value: string }[] }): string {
  const c = res.cookies.find((x) => x.name === 'gz_session');
  if (!c) throw new Error('no session cookie');
  return c.value;
}

function me(cookie?: string) {
  return env.app.inject({
    method: 'GET',
    url: '/api/auth/me',
    headers: cookie ? { cookie: `gz_session=${cookie}` } : {},
  });
}

const db = () => env.ctx.database.db;
const sessionCount = async (userId: string) =>
  (await db().selectFrom('sessions').select('id_hash').where('user_id', '=', userId).execute()).length;

describe('POST /api/auth/login', () => {
  it('signs a staff member in with an HttpOnly, SameSite=Lax cookie, a CSRF token and the scope root', async () => {
    const u = await newStaff();
    const res = await login(u.username, PASSWORD, freshIp());
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.csrfToken).toEqual(expect.any(String));
    expect(body.csrfToken.length).toBeGreaterThanOrEqual(16);
    expect(body.user).toMatchObject({ id: u.id, username: u.username, role: 'village_handler' });
    expect(body.user.org).toMatchObject({ id: u.orgId, kind: 'village', scopeRootId: u.orgId });
    const cookie = res.cookies.find((c) => c.name === 'gz_session');
    expect(cookie).toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Lax');
    expect(cookie!.path).toBe('/');
    const header = String(res.headers['set-cookie']);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Lax/i);
    // The cookie is the session, stored only as a hash.
    const row = await db()
      .selectFrom('sessions')
      .selectAll()
      .where('id_hash', '=', sha256(cookie!.value))
      .executeTakeFirst();
    expect(row?.user_id).toBe(u.id);
    expect(row?.csrf_token).toBe(body.csrfToken);
  });

  it('gives a centre’s dispatcher the township as scope root', async () => {
    const township = await createTownship(env.ctx);
    const u = await newStaff({ role: 'township_dispatcher', orgId: await createCentre(env.ctx, township) });
    const res = await login(u.username, PASSWORD, freshIp());
    expect(res.statusCode).toBe(200);
    expect(res.json().user.org).toMatchObject({ id: `${township}C`, kind: 'centre', scopeRootId: township });
  });

  it('answers 401 AUTH_INVALID for a wrong password and for an unknown user, with the same body', async () => {
    const u = await newStaff();
    const wrong = await login(u.username, 'not-the-password-1', freshIp());
    const unknown = await login('nobody-here', 'not-the-password-1', freshIp());
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('AUTH_INVALID');
    expect(wrong.json().error).toEqual(unknown.json().error);
    expect(Object.keys(wrong.json()).sort()).toEqual(Object.keys(unknown.json()).sort());
    expect(wrong.cookies.find((c) => c.name === 'gz_session')).toBeUndefined();
    expect(await sessionCount(u.id)).toBe(0);
    const row = await db()
      .selectFrom('users')
      .select(['failed_logins', 'locked_until'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_logins: 1, locked_until: null });
  });

  it('locks the account after 5 wrong passwords (423), refuses even the right password while locked, and audits it', async () => {
    const u = await newStaff();
    const ip = freshIp();
    for (let i = 1; i <= 4; i++) {
      const res = await login(u.username, `wrong-password-${i}`, ip);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('AUTH_INVALID');
    }
    const fifth = await login(u.username, 'wrong-password-5', ip);
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json().error.code).toBe('AUTH_LOCKED');
    const locked = await db()
      .selectFrom('users')
      .select('locked_until')
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(locked.locked_until!.getTime()).toBeGreaterThan(Date.now());

    const right = await login(u.username, PASSWORD, ip);
    expect(right.statusCode).toBe(423);
    expect(right.json().error.code).toBe('AUTH_LOCKED');
    expect(right.cookies.find((c) => c.name === 'gz_session')).toBeUndefined();
    expect(await sessionCount(u.id)).toBe(0);

    const audits = await db()
      .selectFrom('audit_log')
      .select(['action', 'target_id'])
      .where('target_id', '=', u.id)
      .where('action', '=', 'auth.locked')
      .execute();
    expect(audits).toHaveLength(1);
  });

  it('refuses a cross-site POST with 403 CSRF_INVALID and opens no session', async () => {
    const u = await newStaff();
    const res = await login(u.username, PASSWORD, freshIp(), { 'sec-fetch-site': 'cross-site' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('CSRF_INVALID');
    expect(res.cookies.find((c) => c.name === 'gz_session')).toBeUndefined();
    expect(await sessionCount(u.id)).toBe(0);
    const ok = await login(u.username, PASSWORD, freshIp(), { 'sec-fetch-site': 'same-origin' });
    expect(ok.statusCode).toBe(200);
  });

  it('creates a new session token on every sign-in (no fixation)', async () => {
    const u = await newStaff();
    const ip = freshIp();
    // An attacker-chosen cookie value is ignored and replaced.
    const planted = 'attacker-chosen-session-value-0123456789';
    const first = await login(u.username, PASSWORD, ip, { cookie: `gz_session=${planted}` });
    expect(first.statusCode).toBe(200);
    const t1 = sessionCookieOf(first);
    expect(t1).not.toBe(planted);
    expect((await me(planted)).json()).toEqual({ kind: 'anonymous' });

    // Signing in again while signed in gives a different token and CSRF token.
    const second = await login(u.username, PASSWORD, ip, {
      cookie: `gz_session=${t1}`,
      'x-csrf-token': first.json().csrfToken,
    });
    expect(second.statusCode).toBe(200);
    const t2 = sessionCookieOf(second);
    expect(t2).not.toBe(t1);
    expect(second.json().csrfToken).not.toBe(first.json().csrfToken);
    expect((await me(t2)).json().csrfToken).toBe(second.json().csrfToken);
  });

  it('answers the 11th attempt within a minute from one address with 429 RATE_LIMITED', async () => {
    const u = await newStaff();
    const ip = freshIp();
    for (let i = 1; i <= 10; i++) {
      const res = await login('no-such-user', `guess-${i}-abcdef`, ip);
      expect(res.statusCode).toBe(401);
    }
    const eleventh = await login(u.username, PASSWORD, ip);
    expect(eleventh.statusCode).toBe(429);
    expect(eleventh.json().error.code).toBe('RATE_LIMITED');
    expect(eleventh.headers['retry-after']).toBeDefined();
    expect(eleventh.cookies.find((c) => c.name === 'gz_session')).toBeUndefined();
    expect(await sessionCount(u.id)).toBe(0);
    // The limit is per address: another one still gets in.
    const elsewhere = await login(u.username, PASSWORD, freshIp());
    expect(elsewhere.statusCode).toBe(200);
  });

  it('answers 400 VALIDATION_FAILED for a body without a password', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'someone' },
      remoteAddress: freshIp(),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.details[0].field).toBe('password');
  });
});

describe('GET /api/auth/me', () => {
  it('answers { kind: "anonymous" } without a session', async () => {
    const res = await me();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ kind: 'anonymous' });
  });

  it('answers kind staff with the CSRF token for a signed-in staff member', async () => {
    const u = await newStaff();
    const signed = await login(u.username, PASSWORD, freshIp());
    const res = await me(sessionCookieOf(signed));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: 'staff',
      csrfToken: signed.json().csrfToken,
      user: { id: u.id, username: u.username, org: { id: u.orgId } },
    });
  });
});

describe('POST /api/auth/logout', () => {
  it('refuses a logout without X-CSRF-Token (403) and the session keeps working', async () => {
    const u = await newStaff();
    const signed = await login(u.username, PASSWORD, freshIp());
    const token = sessionCookieOf(signed);
    for (const headers of [{}, { 'x-csrf-token': 'not-the-token' }]) {
      const res = await env.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { cookie: `gz_session=${token}`, ...headers },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('CSRF_INVALID');
    }
    expect(await sessionCount(u.id)).toBe(1);
    expect((await me(token)).json().kind).toBe('staff');
  });

  it('ends the session with the CSRF token (204); the cookie no longer works', async () => {
    const u = await newStaff();
    const signed = await login(u.username, PASSWORD, freshIp());
    const token = sessionCookieOf(signed);
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie: `gz_session=${token}`, 'x-csrf-token': signed.json().csrfToken },
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const cleared = res.cookies.find((c) => c.name === 'gz_session');
    expect(cleared?.value).toBe('');
    expect(await sessionCount(u.id)).toBe(0);
    expect((await me(token)).json()).toEqual({ kind: 'anonymous' });
    const staffOnly = await env.app.inject({
      method: 'GET',
      url: `/api/orgs/${u.orgId}`,
      headers: { cookie: `gz_session=${token}` },
    });
    expect(staffOnly.statusCode).toBe(401);
    expect(staffOnly.json().error.code).toBe('AUTH_REQUIRED');
    const audit = await db()
      .selectFrom('audit_log')
      .select('action')
      .where('actor_id', '=', u.id)
      .where('action', '=', 'auth.logout')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('answers 401 without a session', async () => {
    const res = await env.app.inject({ method: 'POST', url: '/api/auth/logout' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });
});

describe('citizen sign-in with a one-time code', () => {
  let phoneSerial = 0;
  /** A distinct, valid mainland mobile number ending in 1234 (so the mask is predictable). */
  const freshPhone = () => `139${String(++phoneSerial).padStart(4, '0')}1234`;

  function requestOtp(phone: string, ip: string) {
    return env.app.inject({
      method: 'POST',
      url: '/api/auth/otp/request',
      payload: { phone },
      remoteAddress: ip,
    });
  }
  function verifyOtp(phone: string, code: string, ip: string) {
    return env.app.inject({
      method: 'POST',
      url: '/api/auth/otp/verify',
      payload: { phone, code },
      remoteAddress: ip,
    });
  }
  function lastCodeFor(phone: string): string {
    const msg = env.sms.sent.filter((m) => m.phone === phone).at(-1);
    if (!msg) throw new Error(`no SMS to ${phone}`);
    return /([0-9]{6})/.exec(msg.text)![1]!;
  }
  const otherCode = (code: string) => (code === '000000' ? '111111' : '000000');
  const citizenOf = (phone: string) =>
    db()
      .selectFrom('citizens')
      .selectAll()
      .where('phone_hash', '=', env.ctx.cipher.blindIndex(phone))
      .executeTakeFirst();
  const otpOf = (phone: string) =>
    db()
      .selectFrom('otp_codes')
      .selectAll()
      .where('phone_hash', '=', env.ctx.cipher.blindIndex(phone))
      .executeTakeFirst();

  it('refuses a malformed phone with 400 VALIDATION_FAILED on field phone and sends nothing', async () => {
    const sent = env.sms.sent.length;
    const res = await requestOtp('1234567', freshIp());
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.details[0].field).toBe('phone');
    expect(env.sms.sent.length).toBe(sent);
    expect(await otpOf('1234567')).toBeUndefined();
  });

  it('sends a code (delivery "log"), refuses a second request at once with 429 OTP_TOO_SOON', async () => {
    const phone = freshPhone();
    const ip = freshIp();
    const res = await requestOtp(phone, ip);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sent: true, retryAfterSeconds: 60, delivery: 'log' });
    const code = lastCodeFor(phone);
    expect(code).toMatch(/^[0-9]{6}$/);
    const stored = await otpOf(phone);
    expect(stored).toBeDefined();
    expect(stored!.code_hash).not.toContain(code);

    const sent = env.sms.sent.length;
    const again = await requestOtp(phone, ip);
    expect(again.statusCode).toBe(429);
    expect(again.json().error.code).toBe('OTP_TOO_SOON');
    expect(env.sms.sent.length).toBe(sent);
    expect(await otpOf(phone)).toEqual(stored);
  });

  it('refuses a wrong code (401 OTP_INVALID); the right one signs in once, with the phone encrypted at rest', async () => {
    const phone = freshPhone();
    const ip = freshIp();
    expect((await requestOtp(phone, ip)).statusCode).toBe(200);
    const code = lastCodeFor(phone);

    const wrong = await verifyOtp(phone, otherCode(code), ip);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('OTP_INVALID');
    expect(wrong.cookies.find((c) => c.name === 'gz_session')).toBeUndefined();
    expect(await citizenOf(phone)).toBeUndefined();

    const ok = await verifyOtp(phone, code, ip);
    expect(ok.statusCode).toBe(200);
    const masked = `${phone.slice(0, 3)}****${phone.slice(-4)}`;
    expect(masked).toBe(`139****1234`);
    expect(ok.json().citizen.phoneMasked).toBe(masked);
    expect(ok.json().csrfToken).toEqual(expect.any(String));
    const token = sessionCookieOf(ok);
    const cookie = ok.cookies.find((c) => c.name === 'gz_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    const who = await me(token);
    expect(who.json()).toMatchObject({
      kind: 'citizen',
      citizen: { id: ok.json().citizen.id, phoneMasked: masked },
    });

    const row = await citizenOf(phone);
    expect(row).toBeDefined();
    expect(row!.id).toBe(ok.json().citizen.id);
    expect(row!.phone_enc).not.toContain(phone);
    expect(row!.phone_hash).not.toContain(phone);
    expect(row!.phone_masked).toBe(masked);
    expect(env.ctx.cipher.decrypt(row!.phone_enc)).toBe(phone);

    // One use only.
    const sessionsBefore = await db()
      .selectFrom('sessions')
      .select('id_hash')
      .where('citizen_id', '=', row!.id)
      .execute();
    const reuse = await verifyOtp(phone, code, ip);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe('OTP_INVALID');
    const sessionsAfter = await db()
      .selectFrom('sessions')
      .select('id_hash')
      .where('citizen_id', '=', row!.id)
      .execute();
    expect(sessionsAfter).toEqual(sessionsBefore);
  });

  it('refuses even the right code after 5 wrong tries', async () => {
    const phone = freshPhone();
    const ip = freshIp();
    expect((await requestOtp(phone, ip)).statusCode).toBe(200);
    const code = lastCodeFor(phone);
    for (let i = 0; i < 5; i++) {
      const res = await verifyOtp(phone, otherCode(code), ip);
      expect(res.statusCode).toBe(401);
    }
    const right = await verifyOtp(phone, code, ip);
    expect(right.statusCode).toBe(401);
    expect(right.json().error.code).toBe('OTP_INVALID');
    expect(right.cookies.find((c) => c.name === 'gz_session')).toBeUndefined();
    expect(await citizenOf(phone)).toBeUndefined();
  });

  it('never writes a phone number in clear into the audit log', async () => {
    const phones = Array.from({ length: phoneSerial }, (_, i) => `139${String(i + 1).padStart(4, '0')}1234`);
    expect(phones.length).toBeGreaterThanOrEqual(3);
    const rows = await db().selectFrom('audit_log').selectAll().execute();
    const otpRows = rows.filter((r) => r.action.startsWith('auth.otp_'));
    expect(otpRows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const text = JSON.stringify(r);
      for (const p of phones) expect(text).not.toContain(p);
    }
  });
});
