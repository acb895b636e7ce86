import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import {
  type ApiKeyRow,
  findActiveKeyByHash,
  findCountyApiKey,
  insertApiKey,
  listCountyApiKeys,
  markRevoked,
  touchApiKey,
} from './apikeys.repository.ts';

type Meta = { ip?: string | undefined; requestId?: string | undefined };

/** Every key starts with this, so a leaked one is easy to recognise (and to search for in code). */
export const KEY_PREFIX = 'gz311_';
/** How much of a key admins see to tell keys apart (the prefix plus six characters). */
const SHOWN = KEY_PREFIX.length + 6;

/** SHA-256 of a key: what the database keeps. A 256-bit random key needs no slow hash. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** An API key as admins see it — never the key or its hash. */
export function presentApiKey(r: ApiKeyRow) {
  return {
    id: r.id,
    name: r.name,
    system: r.system,
    keyPrefix: r.key_prefix,
    active: r.revoked_at === null,
    createdBy: r.created_by ? { id: r.created_by, name: r.created_by_name ?? r.created_by } : null,
    createdAt: r.created_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

/** The county's API keys, newest first. */
export async function listApiKeys(ctx: AppContext, actor: Actor) {
  const rows = await listCountyApiKeys(ctx.database.db, actor.countyCode);
  return { items: rows.map(presentApiKey), total: rows.length };
}

/**
 * Issues a key for a client system. The key is in the answer once and never again: only its hash
 * is stored. Audited (`apikey.created`) in the same transaction.
 */
export async function createApiKey(
  ctx: AppContext,
  actor: Actor,
  input: { name: string; system: string },
  meta: Meta,
) {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return ctx.database.transaction(async (trx) => {
    const id = await insertApiKey(trx, {
      countyCode: actor.countyCode,
      name: input.name.trim(),
      system: input.system.trim(),
      keyHash: hashKey(key),
      keyPrefix: key.slice(0, SHOWN),
      createdBy: actor.kind === 'staff' ? actor.userId : null,
    });
    await audit(trx, actor, {
      action: 'apikey.created',
      targetType: 'open311_api_key',
      targetId: id,
      detail: { name: input.name.trim(), system: input.system.trim(), keyPrefix: key.slice(0, SHOWN) },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    const row = await findCountyApiKey(trx, actor.countyCode, id);
    return { apiKey: presentApiKey(row!), key };
  });
}

/**
 * Revokes a key: from now on it answers 403. Revoking a revoked key changes nothing (and is not
 * audited again); another county's key is 404.
 */
export async function revokeApiKey(ctx: AppContext, actor: Actor, id: string, meta: Meta) {
  return ctx.database.transaction(async (trx) => {
    const before = await findCountyApiKey(trx, actor.countyCode, id);
    if (!before) throw notFound();
    if (await markRevoked(trx, actor.countyCode, id, ctx.clock.now())) {
      await audit(trx, actor, {
        action: 'apikey.revoked',
        targetType: 'open311_api_key',
        targetId: id,
        detail: { name: before.name, system: before.system, keyPrefix: before.key_prefix },
        ip: meta.ip,
        requestId: meta.requestId,
      });
    }
    const after = await findCountyApiKey(trx, actor.countyCode, id);
    return { apiKey: presentApiKey(after!) };
  });
}

/** The active key a client presented, or undefined; notes its use. */
export async function authenticateKey(ctx: AppContext, countyCode: string, key: string) {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return undefined;
  const row = await findActiveKeyByHash(ctx.database.db, countyCode, hashKey(key));
  if (row) await touchApiKey(ctx.database.db, row.id, ctx.clock.now());
  return row;
}
