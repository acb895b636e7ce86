import { isStaffRole } from '../../../common/roles.ts';
import type { Actor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import {
  DUMMY_PASSWORD_HASH,
  maskPhone,
  randomOtp,
  randomToken,
  sha256,
  verifyPassword,
} from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';

/** After this many wrong passwords in a row the account locks for LOCK_MINUTES. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;
export const OTP_TTL_SECONDS = 300;
export const OTP_RESEND_SECONDS = 60;
export const OTP_MAX_ATTEMPTS = 5;

export interface RequestMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
  /** The session cookie the browser sent with the sign-in: ended, so a new session replaces it. */
  previousSession?: string | undefined;
}

export interface StaffProfile {
  id: string;
  username: string;
  displayName: string;
  role: string;
  org: { id: string; name: string; kind: string; scopeRootId: string };
}

export interface SessionResult {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A resolved session: who acts, and the CSRF token bound to the session. */
export interface ResolvedSession {
  actor: Actor;
  csrfToken: string;
}

async function createSession(
  ctx: AppContext,
  subject: { userId: string } | { citizenId: string },
  meta: RequestMeta,
): Promise<SessionResult> {
  const token = randomToken();
  const csrfToken = randomToken(24);
  const expiresAt = new Date(ctx.clock.now().getTime() + ctx.config.sessionTtlHours * 3600_000);
  // Rotation: whatever session the browser held before signing in ends here, so a token planted
  // or seen before sign-in never carries the new identity, and the old one stops working.
  if (meta.previousSession && meta.previousSession.length <= 100) {
    await ctx.database.db
      .deleteFrom('sessions')
      .where('id_hash', '=', sha256(meta.previousSession))
      .execute();
  }
  await ctx.database.db
    .insertInto('sessions')
    .values({
      id_hash: sha256(token),
      county_code: ctx.config.countyCode,
      user_id: 'userId' in subject ? subject.userId : null,
      citizen_id: 'citizenId' in subject ? subject.citizenId : null,
      csrf_token: csrfToken,
      expires_at: expiresAt,
      last_seen_at: ctx.clock.now(),
      ip: meta.ip ?? null,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return { token, csrfToken, expiresAt };
}

/**
 * Staff sign-in with a password. A new session is created on every sign-in (no fixation); wrong
 * passwords count towards a temporary lock; unknown users cost the same time as known ones.
 */
export async function loginStaff(
  ctx: AppContext,
  input: { username: string; password: string },
  meta: RequestMeta,
): Promise<SessionResult & { profile: StaffProfile }> {
  const { db } = ctx.database;
  const username = input.username.trim().toLowerCase();
  const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  const now = ctx.clock.now();
  const systemish = { kind: 'anonymous', countyCode: ctx.config.countyCode } as const;
  if (!user?.active) {
    await verifyPassword(input.password, DUMMY_PASSWORD_HASH);
    await audit(db, systemish, {
      action: 'auth.login_failed',
      detail: { username },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    throw new AppError('AUTH_INVALID');
  }
  if (user.locked_until && user.locked_until > now) {
    throw new AppError('AUTH_LOCKED');
  }
  const ok = await verifyPassword(input.password, user.password_hash);
  if (!ok) {
    const failed = user.failed_logins + 1;
    const lock = failed >= MAX_FAILED_LOGINS;
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({
          failed_logins: lock ? 0 : failed,
          locked_until: lock ? new Date(now.getTime() + LOCK_MINUTES * 60_000) : user.locked_until,
        })
        .where('id', '=', user.id)
        .execute();
      await audit(trx, systemish, {
        action: lock ? 'auth.locked' : 'auth.login_failed',
        targetType: 'user',
        targetId: user.id,
        detail: { username, failed },
        ip: meta.ip,
        requestId: meta.requestId,
      });
    });
    throw new AppError(lock ? 'AUTH_LOCKED' : 'AUTH_INVALID');
  }
  const session = await createSession(ctx, { userId: user.id }, meta);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ failed_logins: 0, locked_until: null, last_login_at: now })
      .where('id', '=', user.id)
      .execute();
    await audit(
      trx,
      {
        kind: 'staff',
        userId: user.id,
        username,
        role: user.role as never,
        orgId: user.org_id,
        countyCode: user.county_code,
        scopePath: '',
      },
      { action: 'auth.login', targetType: 'user', targetId: user.id, ip: meta.ip, requestId: meta.requestId },
    );
  });
  return { ...session, profile: await staffProfile(ctx, user.id) };
}

/** The signed-in staff member as the UI shows them. */
export async function staffProfile(ctx: AppContext, userId: string): Promise<StaffProfile> {
  const row = await ctx.database.db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .select([
      'u.id',
      'u.username',
      'u.display_name',
      'u.role',
      'o.id as org_id',
      'o.name as org_name',
      'o.kind as org_kind',
      'o.scope_path',
    ])
    .where('u.id', '=', userId)
    .executeTakeFirstOrThrow();
  const scopeRootId = row.scope_path.split('/').filter(Boolean).at(-1) ?? row.org_id;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    org: { id: row.org_id, name: row.org_name, kind: row.org_kind, scopeRootId },
  };
}

/** Resolves a session cookie to an actor, or null when absent, unknown or expired. */
export async function resolveSession(
  ctx: AppContext,
  token: string | undefined,
): Promise<ResolvedSession | null> {
  if (!token || token.length > 100) return null;
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const s = await db
    .selectFrom('sessions as s')
    .leftJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('org_units as o', 'o.id', 'u.org_id')
    .select([
      's.id_hash',
      's.user_id',
      's.citizen_id',
      's.csrf_token',
      's.expires_at',
      's.last_seen_at',
      's.county_code',
      'u.username',
      'u.role',
      'u.org_id',
      'u.active',
      'o.scope_path',
    ])
    .where('s.id_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!s) return null;
  // Absolute expiry (SESSION_TTL_HOURS) and idle expiry (SESSION_IDLE_MINUTES): either ends it for good.
  const idle = now.getTime() - s.last_seen_at.getTime() > ctx.config.sessionIdleMinutes * 60_000;
  if (s.expires_at <= now || idle) {
    await db.deleteFrom('sessions').where('id_hash', '=', s.id_hash).execute();
    return null;
  }
  // Touch at most once a minute: a read-mostly session must not write on every request.
  if (now.getTime() - s.last_seen_at.getTime() > 60_000) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', s.id_hash).execute();
  }
  if (s.user_id) {
    if (!s.active || !s.role || !isStaffRole(s.role) || !s.org_id || !s.scope_path || !s.username)
      return null;
    return {
      csrfToken: s.csrf_token,
      actor: {
        kind: 'staff',
        userId: s.user_id,
        username: s.username,
        role: s.role,
        orgId: s.org_id,
        countyCode: s.county_code,
        scopePath: s.scope_path,
      },
    };
  }
  if (s.citizen_id) {
    return {
      csrfToken: s.csrf_token,
      actor: { kind: 'citizen', citizenId: s.citizen_id, countyCode: s.county_code },
    };
  }
  return null;
}

/** Ends a session (sign-out). */
export async function logout(ctx: AppContext, token: string, actor: Actor, meta: RequestMeta): Promise<void> {
  await ctx.database.transaction(async (trx) => {
    await trx.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute();
    await audit(trx, actor, { action: 'auth.logout', ip: meta.ip, requestId: meta.requestId });
  });
}

/** Mainland mobile numbers: 11 digits starting with 1[3-9]. */
export const PHONE_PATTERN = '^1[3-9][0-9]{9}$';

/**
 * Sends a one-time code. One code per phone at a time; asking again within a minute is refused.
 * The code is stored hashed; the message goes through the SMS adapter.
 */
export async function requestOtp(
  ctx: AppContext,
  phone: string,
  meta: RequestMeta,
): Promise<{ retryAfterSeconds: number }> {
  const { db } = ctx.database;
  const phoneHash = ctx.cipher.blindIndex(phone);
  const now = ctx.clock.now();
  const existing = await db
    .selectFrom('otp_codes')
    .select(['created_at'])
    .where('county_code', '=', ctx.config.countyCode)
    .where('phone_hash', '=', phoneHash)
    .executeTakeFirst();
  if (existing && now.getTime() - existing.created_at.getTime() < OTP_RESEND_SECONDS * 1000) {
    throw new AppError('OTP_TOO_SOON');
  }
  const code = randomOtp();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('otp_codes')
      .values({
        phone_hash: phoneHash,
        county_code: ctx.config.countyCode,
        code_hash: sha256(`${phoneHash}:${code}`),
        created_at: now,
        expires_at: new Date(now.getTime() + OTP_TTL_SECONDS * 1000),
      })
      .onConflict((oc) =>
        oc.columns(['county_code', 'phone_hash']).doUpdateSet({
          code_hash: sha256(`${phoneHash}:${code}`),
          attempts: 0,
          created_at: now,
          expires_at: new Date(now.getTime() + OTP_TTL_SECONDS * 1000),
        }),
      )
      .execute();
    await audit(
      trx,
      { kind: 'anonymous', countyCode: ctx.config.countyCode },
      {
        action: 'auth.otp_requested',
        detail: { phone: maskPhone(phone) },
        ip: meta.ip,
        requestId: meta.requestId,
      },
    );
  });
  await ctx.sms.send(
    phone,
    `【共治】您的验证码是 ${code}，${OTP_TTL_SECONDS / 60} 分钟内有效。如非本人操作请忽略。`,
  );
  return { retryAfterSeconds: OTP_RESEND_SECONDS };
}

/** Checks a one-time code; on success finds or registers the citizen and opens a session. */
export async function verifyOtp(
  ctx: AppContext,
  input: { phone: string; code: string },
  meta: RequestMeta,
): Promise<SessionResult & { citizen: { id: string; phoneMasked: string } }> {
  const { db } = ctx.database;
  const county = ctx.config.countyCode;
  const phoneHash = ctx.cipher.blindIndex(input.phone);
  const now = ctx.clock.now();
  const anon = { kind: 'anonymous', countyCode: county } as const;
  const row = await db
    .selectFrom('otp_codes')
    .selectAll()
    .where('county_code', '=', county)
    .where('phone_hash', '=', phoneHash)
    .executeTakeFirst();
  const good =
    row &&
    row.expires_at > now &&
    row.attempts < OTP_MAX_ATTEMPTS &&
    row.code_hash === sha256(`${phoneHash}:${input.code}`);
  if (!good) {
    await db.transaction().execute(async (trx) => {
      if (row) {
        await trx
          .updateTable('otp_codes')
          .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
          .where('county_code', '=', county)
          .where('phone_hash', '=', phoneHash)
          .execute();
      }
      await audit(trx, anon, {
        action: 'auth.otp_failed',
        detail: { phone: maskPhone(input.phone) },
        ip: meta.ip,
        requestId: meta.requestId,
      });
    });
    throw new AppError('OTP_INVALID');
  }
  const citizen = await db.transaction().execute(async (trx) => {
    // One use only: the code is gone once it has opened a session.
    await trx
      .deleteFrom('otp_codes')
      .where('county_code', '=', county)
      .where('phone_hash', '=', phoneHash)
      .execute();
    const found = await trx
      .insertInto('citizens')
      .values({
        county_code: county,
        phone_hash: phoneHash,
        phone_enc: ctx.cipher.encrypt(input.phone),
        phone_masked: maskPhone(input.phone),
        key_id: ctx.cipher.currentKeyId,
        last_login_at: now,
      })
      .onConflict((oc) => oc.columns(['county_code', 'phone_hash']).doUpdateSet({ last_login_at: now }))
      .returning(['id', 'phone_masked'])
      .executeTakeFirstOrThrow();
    await audit(
      trx,
      { kind: 'citizen', citizenId: found.id, countyCode: county },
      {
        action: 'auth.otp_verified',
        targetType: 'citizen',
        targetId: found.id,
        ip: meta.ip,
        requestId: meta.requestId,
      },
    );
    return found;
  });
  const session = await createSession(ctx, { citizenId: citizen.id }, meta);
  return { ...session, citizen: { id: citizen.id, phoneMasked: citizen.phone_masked } };
}
