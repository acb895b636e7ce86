import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import {
  as,
  COUNTY,
  countCases,
  createCitizen,
  createStaff,
  createVillage,
  PASSWORD,
  type StaffSession,
  signIn,
  signInCitizen,
} from '../../test/factories.ts';
import { systemActor } from '../authz/actor.ts';
import { checkPasswordPolicy, sha256 } from '../lib/crypto.ts';
import { createUser } from '../modules/users/users.service.ts';
import {
  contentSecurityPolicy,
  contentSecurityPolicyHeader,
  DOCS_CSP,
  tileOrigin,
} from './security-headers.ts';

/** A minimal portal build: index.html naming its entry chunk, the manifest and the chunks. */
function portalBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-web-security-'));
  fs.mkdirSync(path.join(dir, '.vite'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html>\n<html lang="zh-CN">\n  <head>\n    <title>共治</title>\n' +
      '    <script type="module" crossorigin src="/assets/index-A.js"></script>\n' +
      '    <link rel="modulepreload" crossorigin href="/assets/preact-B.js">\n  </head>\n' +
      `  <body><div id="root"></div><noscript>${'需要 JavaScript。'.repeat(80)}</noscript></body>\n</html>\n`,
  );
  fs.writeFileSync(
    path.join(dir, '.vite', 'manifest.json'),
    JSON.stringify({
      'index.html': { file: 'assets/index-A.js', imports: ['_preact-B.js'] },
      '_preact-B.js': { file: 'assets/preact-B.js' },
    }),
  );
  fs.writeFileSync(path.join(dir, 'assets/index-A.js'), 'import{h}from"./preact-B.js";h();');
  fs.writeFileSync(path.join(dir, 'assets/preact-B.js'), 'export const h=()=>1;');
  return dir;
}

/** The text of each script element of a page that runs inline (no src, not a data block). */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .filter((m) => !/\ssrc=|type="application\/json"/.test(m[1] ?? ''))
    .map((m) => m[2]!);
}

let env: TestEnv;
let admin: StaffSession;
let handler: StaffSession;
let village: string;

beforeAll(async () => {
  env = await createTestEnv({
    config: {
      hsts: true,
      sessionIdleMinutes: 120,
      mapTileUrl: 'https://tiles.example.gov.cn/vec/{z}/{x}/{y}.png',
      webDir: portalBuild(),
    },
  });
  village = await createVillage(env.ctx);
  admin = await createStaff(env, 'admin');
  handler = await createStaff(env, 'village_handler', { orgId: village });
});
afterAll(() => env?.close());

/** Parses a CSP header into directive → sources. */
function csp(header: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of String(header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name, sources);
  }
  return out;
}

let ipSerial = 0;
const freshIp = () => `10.66.${Math.floor(++ipSerial / 250)}.${(ipSerial % 250) + 1}`;

describe('security headers', () => {
  it('every page and API answer carries the CSP, nosniff, referrer, frame and permissions policies', async () => {
    // The portal's pages as a browser that has its code cached gets them (the first visit: below).
    const first = await env.app.inject({ method: 'GET', url: '/' });
    const id = /"id":"([0-9a-f]+)"/.exec(first.body)![1]!;
    for (const url of ['/', '/appeal/new', '/staff/queue', '/api/health', '/api/public/config']) {
      const res = await env.app.inject({ method: 'GET', url, cookies: { gz_js: id } });
      expect(res.statusCode, url).toBeLessThan(500);
      const p = csp(res.headers['content-security-policy']);
      expect(p.get('default-src'), url).toEqual(["'self'"]);
      // No inline or evaluated script, from anywhere but our origin.
      expect(p.get('script-src'), url).toEqual(["'self'"]);
      expect(p.get('script-src-attr'), url).toEqual(["'none'"]);
      expect(p.get('style-src'), url).toEqual(["'self'", "'unsafe-inline'"]);
      expect(p.get('img-src'), url).toEqual(["'self'", 'data:', 'blob:', 'https://tiles.example.gov.cn']);
      expect(p.get('connect-src'), url).toEqual(["'self'"]);
      expect(p.get('frame-ancestors'), url).toEqual(["'none'"]);
      expect(p.get('object-src'), url).toEqual(["'none'"]);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('same-origin');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['permissions-policy'], url).toContain('geolocation=(self)');
      expect(res.headers['permissions-policy'], url).toContain('camera=(self)');
      expect(res.headers['permissions-policy'], url).toContain('microphone=()');
      expect(res.headers['strict-transport-security'], url).toBe('max-age=31536000');
    }
  });

  it('lets the portal’s first-visit page run its one inline script, by that script’s hash, and blob: modules; nothing else changes', async () => {
    const api = await env.app.inject({ method: 'GET', url: '/api/health' });
    // The header built here is helmet's, byte for byte, when nothing is added.
    expect(contentSecurityPolicyHeader(env.ctx.config)).toBe(api.headers['content-security-policy']);
    for (const url of ['/', '/appeal/new', '/my/GZ20261130-0001', '/some/client/route']) {
      const res = await env.app.inject({ method: 'GET', url });
      const scripts = inlineScripts(res.body);
      expect(scripts, url).toHaveLength(1);
      const hash = `'sha256-${createHash('sha256').update(scripts[0]!).digest('base64')}'`;
      const p = csp(res.headers['content-security-policy']);
      expect(p.get('script-src'), url).toEqual(["'self'", hash, 'blob:']);
      expect(p.get('script-src-attr'), url).toEqual(["'none'"]);
      // Every other directive as on any other answer.
      const others = (h: unknown) => [...csp(h)].filter(([k]) => k !== 'script-src');
      expect(others(res.headers['content-security-policy']), url).toEqual(
        others(api.headers['content-security-policy']),
      );
      // One variant is never served from a cache to a browser that should get the other.
      expect(res.headers.vary, url).toContain('cookie');
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
    // With the cookie of this build: no inline script and no blob:, as everywhere else.
    const first = await env.app.inject({ method: 'GET', url: '/' });
    const id = /"id":"([0-9a-f]+)"/.exec(first.body)![1]!;
    const repeat = await env.app.inject({ method: 'GET', url: '/', cookies: { gz_js: id } });
    expect(inlineScripts(repeat.body)).toEqual([]);
    expect(csp(repeat.headers['content-security-policy']).get('script-src')).toEqual(["'self'"]);
    // Staff pages never get the code inside, nor the wider policy.
    const staff = await env.app.inject({ method: 'GET', url: '/staff/login' });
    expect(csp(staff.headers['content-security-policy']).get('script-src')).toEqual(["'self'"]);
  });

  it('sends HSTS and upgrade-insecure-requests only when configured (behind TLS); no tile origin without MAP_TILE_URL', () => {
    const plain = contentSecurityPolicy({ hsts: false, mapTileUrl: undefined }).directives;
    expect(plain.imgSrc).toEqual(["'self'", 'data:', 'blob:']);
    expect('upgradeInsecureRequests' in plain).toBe(false);
    expect(tileOrigin('http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png')).toBe('http://10.0.0.5:8080');
  });

  it('gives Swagger UI at /docs its own, still script-tight policy', async () => {
    const res = await env.app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(csp(res.headers['content-security-policy']).get('script-src')).toEqual(["'self'"]);
    // The application's own policy is untouched by the /docs one.
    const api = await env.app.inject({ method: 'GET', url: '/api/health' });
    expect(csp(api.headers['content-security-policy']).get('img-src')).toContain('blob:');
  });

  it('cookies are HttpOnly and SameSite=Lax', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: handler.username, password: PASSWORD },
      remoteAddress: freshIp(),
    });
    const cookie = res.cookies.find((c) => c.name === 'gz_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });
});

describe('sessions', () => {
  it('rotates on sign-in: the session cookie held before is ended, only the new one works', async () => {
    const old = await signIn(env, handler.username, PASSWORD);
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: handler.username, password: PASSWORD },
      headers: { cookie: old.cookie, 'x-csrf-token': old.csrf },
      remoteAddress: freshIp(),
    });
    expect(res.statusCode).toBe(200);
    const fresh = `gz_session=${res.cookies.find((c) => c.name === 'gz_session')!.value}`;
    expect(fresh).not.toBe(old.cookie);
    const oldHash = sha256(old.cookie.slice('gz_session='.length));
    expect(
      await env.ctx.database.db
        .selectFrom('sessions')
        .select('id_hash')
        .where('id_hash', '=', oldHash)
        .execute(),
    ).toHaveLength(0);
    expect((await as(env, old).get('/api/auth/me')).json()).toEqual({ kind: 'anonymous' });
    expect((await as(env, old).get(`/api/orgs/${village}`)).statusCode).toBe(401);
    expect(
      (await as(env, { cookie: fresh, csrf: res.json().csrfToken }).get('/api/auth/me')).json().kind,
    ).toBe('staff');
  });

  it('rotates a citizen session on code sign-in too', async () => {
    const { phone } = await createCitizen(env.ctx);
    const first = await signInCitizen(env, phone);
    // Signing in again from the same browser (an expired code wait skipped by a new phone hash row).
    await env.ctx.database.db.deleteFrom('otp_codes').execute();
    const ip = freshIp();
    await env.app.inject({
      method: 'POST',
      url: '/api/auth/otp/request',
      payload: { phone },
      remoteAddress: ip,
    });
    const code = /([0-9]{6})/.exec(env.sms.sent.filter((m) => m.phone === phone).at(-1)!.text)![1];
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/otp/verify',
      payload: { phone, code },
      headers: { cookie: first.cookie, 'x-csrf-token': first.csrf },
      remoteAddress: ip,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await as(env, first).get('/api/auth/me')).json()).toEqual({ kind: 'anonymous' });
  });

  it('ends a session idle for longer than SESSION_IDLE_MINUTES, and one past its absolute expiry', async () => {
    const idle = await signIn(env, handler.username, PASSWORD);
    const expired = await signIn(env, handler.username, PASSWORD);
    const hash = (s: { cookie: string }) => sha256(s.cookie.slice('gz_session='.length));
    const now = Date.now();
    const idleMs = env.ctx.config.sessionIdleMinutes * 60_000;
    await env.ctx.database.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(now - idleMs - 5_000) })
      .where('id_hash', '=', hash(idle))
      .execute();
    await env.ctx.database.db
      .updateTable('sessions')
      .set({ expires_at: new Date(now - 1_000) })
      .where('id_hash', '=', hash(expired))
      .execute();
    for (const s of [idle, expired]) {
      expect((await as(env, s).get(`/api/orgs/${village}`)).statusCode).toBe(401);
      const row = await env.ctx.database.db
        .selectFrom('sessions')
        .select('id_hash')
        .where('id_hash', '=', hash(s))
        .execute();
      expect(row).toHaveLength(0);
    }
    // Just inside the idle limit the session still works.
    const active = await signIn(env, handler.username, PASSWORD);
    await env.ctx.database.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(now - idleMs + 60_000) })
      .where('id_hash', '=', hash(active))
      .execute();
    expect((await as(env, active).get(`/api/orgs/${village}`)).statusCode).toBe(200);
  });

  it('sign-out ends the session on the server: replaying the old cookie is anonymous', async () => {
    const s = await signIn(env, handler.username, PASSWORD);
    expect((await as(env, s).post('/api/auth/logout')).statusCode).toBe(204);
    expect((await as(env, s).get('/api/auth/me')).json()).toEqual({ kind: 'anonymous' });
  });
});

describe('CSRF on cookie sessions', () => {
  // A sample across modules and methods: each needs the session's X-CSRF-Token.
  const routes: { method: 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: () => string; payload?: unknown }[] = [
    { method: 'POST', url: () => '/api/auth/logout' },
    { method: 'POST', url: () => '/api/users', payload: { username: 'csrfvictim' } },
    { method: 'PATCH', url: () => `/api/orgs/${village}`, payload: { name: '被改名' } },
    { method: 'POST', url: () => '/api/cases', payload: {} },
    { method: 'POST', url: () => '/api/uploads', payload: {} },
    { method: 'DELETE', url: () => '/api/webhooks/00000000-0000-4000-8000-000000000000' },
  ];

  it('answers 403 CSRF_INVALID to a missing or wrong token, before anything else is looked at', async () => {
    for (const r of routes) {
      for (const token of [undefined, 'wrong-token', handler.csrf]) {
        const res = await env.app.inject({
          method: r.method,
          url: r.url(),
          headers: { cookie: admin.cookie, ...(token ? { 'x-csrf-token': token } : {}) },
          ...(r.payload !== undefined ? { payload: r.payload as object } : {}),
        });
        expect(res.statusCode, `${r.method} ${r.url()} ${token}`).toBe(403);
        expect(res.json().error).toMatchObject({ code: 'CSRF_INVALID', message: '页面已过期，请刷新后重试' });
      }
    }
    // The session survived every refused call.
    expect((await as(env, admin).get('/api/auth/me')).json().kind).toBe('staff');
  });

  it('refuses a cross-site request even with the right token', async () => {
    const res = await env.app.inject({
      method: 'PATCH',
      url: `/api/orgs/${village}`,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'sec-fetch-site': 'cross-site' },
      payload: { name: '被改名' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('CSRF_INVALID');
  });
});

describe('password policy', () => {
  it('refuses short, letter-only, username-containing and common passwords', () => {
    expect(checkPasswordPolicy('abc12345')).toMatch(/10/);
    expect(checkPasswordPolicy('onlyletterslong')).toMatch(/字母和数字/);
    expect(checkPasswordPolicy('Zhangsan-2026x', 'zhangsan')).toMatch(/用户名/);
    expect(checkPasswordPolicy('Password123')).toMatch(/常见/);
    expect(checkPasswordPolicy('1qaz2wsx3edc')).toMatch(/常见/);
    expect(checkPasswordPolicy('river-lamp-7-cloud', 'zhangsan')).toBeNull();
  });

  it('applies on account creation and on password reset through the API (400 on field password)', async () => {
    const create = await as(env, admin).post('/api/users', {
      username: 'weakling',
      displayName: '弱密码',
      role: 'village_handler',
      orgId: village,
      password: 'weakling2026',
    });
    expect(create.statusCode).toBe(400);
    expect(create.json().error.details).toContainEqual({ field: 'password', message: '密码不能包含用户名' });
    expect(
      await env.ctx.database.db.selectFrom('users').select('id').where('username', '=', 'weakling').execute(),
    ).toHaveLength(0);

    const { id } = await createUser(env.ctx, systemActor(COUNTY), {
      username: 'resetme',
      displayName: '重置',
      role: 'village_handler',
      orgId: village,
      password: PASSWORD,
    });
    const before = await env.ctx.database.db
      .selectFrom('users')
      .select(['password_hash', 'version'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    for (const password of ['password123', 'resetme-2026x', 'short1']) {
      const res = await as(env, admin).patch(`/api/users/${id}`, { version: before.version, password });
      expect(res.statusCode, password).toBe(400);
      expect(res.json().error.details[0].field).toBe('password');
    }
    const after = await env.ctx.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(after.password_hash).toBe(before.password_hash);
  });
});

describe('rate limits', () => {
  const limited = (res: { statusCode: number; json: () => { error: { code: string; message: string } } }) => {
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toEqual({ code: 'RATE_LIMITED', message: '操作过于频繁，请稍后再试' });
  };

  it('one-time codes: one per phone a minute (429 OTP_TOO_SOON), five requests a minute per address', async () => {
    const ip = freshIp();
    const ask = (phone: string, from = ip) =>
      env.app.inject({
        method: 'POST',
        url: '/api/auth/otp/request',
        payload: { phone },
        remoteAddress: from,
      });
    const first = await ask('13900000001');
    expect(first.statusCode).toBe(200);
    const again = await ask('13900000001', freshIp());
    expect(again.statusCode).toBe(429);
    expect(again.json().error).toEqual({ code: 'OTP_TOO_SOON', message: '验证码发送过于频繁，请稍后再试' });
    for (const n of [2, 3, 4, 5]) expect((await ask(`1390000000${n}`)).statusCode).toBe(200);
    const sixth = await ask('13900000006');
    limited(sixth);
    expect(sixth.headers['retry-after']).toBeDefined();
    expect(env.sms.sent.some((m) => m.phone === '13900000006')).toBe(false);
  });

  it('code sign-in: the eleventh verify a minute from one address is 429', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) {
      const res = await env.app.inject({
        method: 'POST',
        url: '/api/auth/otp/verify',
        payload: { phone: '13900000099', code: '000000' },
        remoteAddress: ip,
      });
      expect(res.statusCode).toBe(401);
    }
    limited(
      await env.app.inject({
        method: 'POST',
        url: '/api/auth/otp/verify',
        payload: { phone: '13900000099', code: '000000' },
        remoteAddress: ip,
      }),
    );
  });

  // Staff sign-in (10 a minute per address) is covered in auth.routes.test.ts.

  it('public intake: the 21st appeal an hour from one address is 429 and stores nothing', async () => {
    const { phone } = await createCitizen(env.ctx);
    const ip = freshIp();
    const citizen = await signInCitizen(env, phone, ip);
    const submit = () =>
      env.app.inject({
        method: 'POST',
        url: '/api/my/cases',
        headers: { cookie: citizen.cookie, 'x-csrf-token': citizen.csrf },
        remoteAddress: ip,
        // Invalid on purpose (no description): the limit counts requests, and 400s are quick.
        payload: { type: 'appeal', channel: 'web', categoryId: 'SR01', villageId: village },
      });
    for (let i = 0; i < 20; i++) expect((await submit()).statusCode).toBe(400);
    const count = () => countCases(env);
    const before = await count();
    limited(await submit());
    expect(await count()).toBe(before);
  });
});
