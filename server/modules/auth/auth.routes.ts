import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf } from '../../http/access.ts';
import { type App, SESSION_COOKIE } from '../../http/app.ts';
import { errors } from '../../http/schemas.ts';
import { loginStaff, logout, PHONE_PATTERN, requestOtp, staffProfile, verifyOtp } from './auth.service.ts';

const StaffUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  org: Type.Object({
    id: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    scopeRootId: Type.String(),
  }),
});
const CitizenSelf = Type.Object({ id: Type.String(), phoneMasked: Type.String() });
const Phone = Type.String({ pattern: PHONE_PATTERN, description: '中国大陆手机号 (11 digits)' });

function setSessionCookie(ctx: AppContext, reply: FastifyReply, token: string, expiresAt: Date) {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.env === 'production' && process.env.COOKIE_SECURE !== '0',
    path: '/',
    expires: expiresAt,
  });
}

/** Sign-in and sign-out for staff (password) and citizens (phone + one-time code). */
export function registerAuthRoutes(app: App, ctx: AppContext): void {
  app.post(
    '/api/auth/login',
    {
      config: { access: { who: 'public' }, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        summary: 'Staff sign-in',
        description:
          'Password sign-in. Sets the HTTP-only session cookie and returns the CSRF token to send as `X-CSRF-Token`. ' +
          'Five wrong passwords in a row lock the account for 15 minutes; at most 10 attempts a minute per address.',
        tags: ['auth'],
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 40 }),
            password: Type.String({ minLength: 1, maxLength: 128 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ user: StaffUser, csrfToken: Type.String() }),
          ...errors(400, 401, 403, 423, 429),
        },
      },
    },
    async (req, reply) => {
      const result = await loginStaff(ctx, req.body, {
        ...metaOf(req),
        previousSession: req.cookies[SESSION_COOKIE],
      });
      setSessionCookie(ctx, reply, result.token, result.expiresAt);
      return { user: result.profile, csrfToken: result.csrfToken };
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { access: { who: 'public' } },
      schema: {
        summary: 'Who am I',
        description:
          'The signed-in staff member or citizen and the session’s CSRF token; `{ kind: "anonymous" }` without a session.',
        tags: ['auth'],
        response: {
          200: Type.Union([
            Type.Object({ kind: Type.Literal('staff'), user: StaffUser, csrfToken: Type.String() }),
            Type.Object({ kind: Type.Literal('citizen'), citizen: CitizenSelf, csrfToken: Type.String() }),
            Type.Object({ kind: Type.Literal('anonymous') }),
          ]),
        },
      },
    },
    async (req) => {
      const actor = req.actor;
      const csrfToken = req.csrfToken ?? '';
      if (actor.kind === 'staff')
        return { kind: 'staff' as const, user: await staffProfile(ctx, actor.userId), csrfToken };
      if (actor.kind !== 'citizen') return { kind: 'anonymous' as const };
      const c = await ctx.database.db
        .selectFrom('citizens')
        .select(['id', 'phone_masked'])
        .where('id', '=', actor.citizenId)
        .executeTakeFirstOrThrow();
      return { kind: 'citizen' as const, citizen: { id: c.id, phoneMasked: c.phone_masked }, csrfToken };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      config: { access: { who: 'signed_in' } },
      schema: {
        summary: 'Sign out',
        description: 'Ends the session and clears the cookie.',
        tags: ['auth'],
        response: { 204: Type.Null(), ...errors(400, 401, 403) },
      },
    },
    async (req, reply) => {
      await logout(ctx, req.sessionToken!, req.actor, metaOf(req));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/auth/otp/request',
    {
      config: { access: { who: 'public' }, rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: {
        summary: 'Send a one-time code to a citizen’s phone',
        description:
          'One code per phone per minute, valid for 5 minutes. In development the code is written to the server log.',
        tags: ['auth'],
        body: Type.Object({ phone: Phone }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            sent: Type.Literal(true),
            retryAfterSeconds: Type.Integer(),
            delivery: Type.Union([Type.Literal('sms'), Type.Literal('log')], {
              description: '`log` in development: the code is in the server log, not on a phone',
            }),
          }),
          ...errors(400, 403, 429),
        },
      },
    },
    async (req) => {
      const r = await requestOtp(ctx, req.body.phone, metaOf(req));
      return { sent: true as const, retryAfterSeconds: r.retryAfterSeconds, delivery: ctx.sms.delivery };
    },
  );

  app.post(
    '/api/auth/otp/verify',
    {
      config: { access: { who: 'public' }, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        summary: 'Citizen sign-in with the one-time code',
        description: 'Registers the citizen on first sign-in. At most 5 wrong tries per code.',
        tags: ['auth'],
        body: Type.Object(
          { phone: Phone, code: Type.String({ pattern: '^[0-9]{6}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ citizen: CitizenSelf, csrfToken: Type.String() }),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (req, reply) => {
      const r = await verifyOtp(ctx, req.body, {
        ...metaOf(req),
        previousSession: req.cookies[SESSION_COOKIE],
      });
      setSessionCookie(ctx, reply, r.token, r.expiresAt);
      return { citizen: r.citizen, csrfToken: r.csrfToken };
    },
  );
}
