import type { AppContext } from '../../context.ts';
import { signWebhook, webhookUrlProblem } from './webhooks.signature.ts';

/** One attempt may take this long before it counts as failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** After this many failed attempts a delivery is `failed` (an admin may redeliver it). */
export const WEBHOOK_MAX_ATTEMPTS = 10;
/** First retry after ~30 s, then doubling: 30 s, 1, 2, 4, 8, 16, 32 min, then hourly. */
export const WEBHOOK_BASE_DELAY_MS = 30_000;
export const WEBHOOK_MAX_DELAY_MS = 60 * 60_000;
/**
 * A claimed delivery is leased for this long: the claim commits before the request is sent (no
 * transaction stays open during a slow receiver — PGlite has a single connection), and a worker
 * that dies mid-attempt leaves a row that becomes due again when its lease ends.
 */
export const WEBHOOK_LEASE_MS = 60_000;
/** Deliveries one deliverer call claims and sends at once. */
const BATCH = 10;

/**
 * The wait before the next attempt after `attempt` failed ones: 30 s × 2^(attempt−1), capped at an
 * hour, ±20 % jitter so that a receiver coming back is not hit by every retry at the same instant.
 */
export function webhookBackoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(WEBHOOK_BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1), WEBHOOK_MAX_DELAY_MS);
  return Math.round(base * (0.8 + 0.4 * random()));
}

interface Claimed {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  secret_enc: string;
}

/** What one attempt found out. */
interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * Claims due deliveries: `FOR UPDATE SKIP LOCKED` so concurrent deliverers (several app processes)
 * never take the same row, and in the same short transaction moves each claimed row's
 * `next_attempt_at` to the end of its lease and counts the attempt — after the commit the row is no
 * longer due for anyone else.
 */
async function claim(ctx: AppContext, opts: { limit: number; id?: string }): Promise<Claimed[]> {
  const now = ctx.clock.now();
  return ctx.database.transaction(async (trx) => {
    let q = trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .select(['d.id', 'd.event', 'd.payload', 'd.attempts', 's.url', 's.secret_enc'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      // A test ping may go to a subscription that is not active yet.
      .where((eb) => eb.or([eb('s.active', '=', true), eb('d.event', '=', 'ping')]));
    if (opts.id) q = q.where('d.id', '=', opts.id);
    const rows = await q.orderBy('d.next_attempt_at').limit(opts.limit).forUpdate('d').skipLocked().execute();
    if (!rows.length) return [];
    await trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        next_attempt_at: new Date(now.getTime() + WEBHOOK_LEASE_MS),
      }))
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
  });
}

/** Sends one delivery: a signed JSON POST, no redirects followed, 10 s at most. */
async function attempt(ctx: AppContext, d: Claimed): Promise<Outcome> {
  const problem = webhookUrlProblem(d.url);
  if (problem) return { ok: false, status: null, error: problem };
  const body = JSON.stringify(d.payload);
  const timestamp = String(Math.floor(ctx.clock.now().getTime() / 1000));
  let secret: string;
  try {
    secret = ctx.cipher.decrypt(d.secret_enc);
  } catch {
    return { ok: false, status: null, error: '签名密钥无法解密（密钥已轮换？）' };
  }
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Gongzhi-Webhook/1',
        'x-gongzhi-event': d.event,
        'x-gongzhi-delivery': d.id,
        'x-gongzhi-timestamp': timestamp,
        'x-gongzhi-signature': signWebhook(secret, timestamp, body),
      },
      // A redirect could point anywhere (an internal address): it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel();
      return { ok: true, status: res.status, error: null };
    }
    return { ok: false, status: res.status, error: await excerpt(res) };
  } catch (err) {
    return { ok: false, status: null, error: describe(err) };
  }
}

/** The first 200 characters of a failed answer, for the delivery log. */
async function excerpt(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return `HTTP ${res.status}`;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 1024) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short still says something.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `超时（${WEBHOOK_TIMEOUT_MS / 1000} 秒）`;
  return (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)).slice(0, 200);
}

/**
 * Records an attempt. Conditional on the attempt count the claim set, so a late answer from a
 * lease that ran out (and was claimed again) cannot overwrite the newer attempt's result.
 */
async function record(ctx: AppContext, d: Claimed, o: Outcome): Promise<'delivered' | 'retry' | 'failed'> {
  const now = ctx.clock.now();
  const final = d.event === 'ping' || d.attempts >= WEBHOOK_MAX_ATTEMPTS;
  const result = o.ok ? 'delivered' : final ? 'failed' : 'retry';
  await ctx.database.db
    .updateTable('webhook_deliveries')
    .set({
      status: result === 'retry' ? 'pending' : result,
      last_status: o.status,
      last_error: o.error,
      delivered_at: o.ok ? now : null,
      next_attempt_at: result === 'retry' ? new Date(now.getTime() + webhookBackoffMs(d.attempts)) : null,
    })
    .where('id', '=', d.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', d.attempts)
    .execute();
  return result;
}

/** What one deliverer call did. */
export interface DeliveryRun {
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * Sends due webhook deliveries (the worker calls it every tick; tests call it directly with a fixed
 * clock). Claims up to `limit`, sends them concurrently, records each result: 2xx is delivered,
 * anything else is retried with back-off until the last attempt, then `failed`.
 */
export async function deliverWebhooks(ctx: AppContext, opts: { limit?: number } = {}): Promise<DeliveryRun> {
  const claimed = await claim(ctx, { limit: opts.limit ?? BATCH });
  const run: DeliveryRun = { delivered: 0, retrying: 0, failed: 0 };
  await Promise.all(
    claimed.map(async (d) => {
      const r = await record(ctx, d, await attempt(ctx, d));
      if (r === 'delivered') run.delivered++;
      else if (r === 'retry') run.retrying++;
      else run.failed++;
    }),
  );
  return run;
}

/**
 * Sends one delivery now if it is due and no one else holds it (a test ping, a redelivery):
 * the same claim and record as the worker, so the two never send it twice.
 */
export async function deliverNow(ctx: AppContext, id: string): Promise<void> {
  const [d] = await claim(ctx, { limit: 1, id });
  if (d) await record(ctx, d, await attempt(ctx, d));
}
