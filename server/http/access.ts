import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, StaffActor } from '../authz/actor.ts';
import { type Permission, roleCan } from '../authz/permissions.ts';
import { AppError } from '../lib/errors.ts';

/**
 * Who may call a route, declared on every route (`config.access`). The app refuses to register a
 * route without one, so no endpoint can forget its guard.
 * - `public`: anyone; - `citizen`: a signed-in citizen; - `staff`: signed-in staff, optionally
 * holding a permission; - `signed_in`: either.
 */
export type Access =
  | { who: 'public' }
  | { who: 'citizen' }
  | { who: 'signed_in' }
  | { who: 'staff'; permission?: Permission };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor;
    csrfToken: string | undefined;
    sessionToken: string | undefined;
  }
}

/** 401 when the caller is not signed in as the route requires (runs before validation). */
export function checkAuthenticated(req: FastifyRequest, access: Access): void {
  const kind = req.actor.kind;
  if (access.who === 'public') return;
  if (access.who === 'staff' && kind !== 'staff') throw new AppError('AUTH_REQUIRED');
  if (access.who === 'citizen' && kind !== 'citizen') throw new AppError('AUTH_REQUIRED');
  if (access.who === 'signed_in' && kind !== 'staff' && kind !== 'citizen')
    throw new AppError('AUTH_REQUIRED');
}

/** 403 when the role lacks the route's permission (runs after validation: 401 → 400 → 403 → 404). */
export async function checkPermission(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const access = req.routeOptions.config.access;
  if (access?.who === 'staff' && access.permission && req.actor.kind === 'staff') {
    if (!roleCan(req.actor.role, access.permission)) throw new AppError('FORBIDDEN');
  }
}

/** The staff actor of a staff-only route (the guard has already run). */
export function staffOf(req: FastifyRequest): StaffActor {
  if (req.actor.kind !== 'staff') throw new AppError('AUTH_REQUIRED');
  return req.actor;
}

/** Request facts that services record in the audit log. */
export function metaOf(req: FastifyRequest): {
  ip: string;
  userAgent: string | undefined;
  requestId: string;
} {
  return { ip: req.ip, userAgent: req.headers['user-agent'], requestId: String(req.id) };
}
