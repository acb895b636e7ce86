/**
 * An outbox on the device for reports made on a weak network (grid patrols in the fields).
 *
 * Each report gets its idempotency key once, when it is queued, and keeps it for every attempt, so a
 * retry after a lost answer can never make a second case: the server answers with the first one.
 * The queue lives in storage (localStorage) and survives a reload; it is sent when the page starts,
 * when the browser says it is online again, and on a back-off timer. A server 4xx answer (other
 * than 408 and 429) is a permanent failure shown to the worker and not retried by itself; network
 * errors, timeouts, 408, 429 and 5xx are retried with exponential back-off. A 401 (signed out)
 * holds the queue until the next forced drain (after signing in again).
 */
import { ApiError } from '../api.ts';

export type QueueStatus = 'queued' | 'sending' | 'sent' | 'failed';

export interface QueueError {
  status: number;
  code: string;
  message: string;
  /** Server field messages (`categoryId` → "类别不存在"), for a permanent validation failure. */
  fields?: Record<string, string>;
}

export interface QueueItem<P> {
  /** The idempotency key, generated once when the report is queued; also the item's id. */
  key: string;
  /** Who queued it (the signed-in user's id): nobody else's session ever sends it. */
  owner: string;
  payload: P;
  /** A short text to show in the list (the start of the description). */
  label: string;
  status: QueueStatus;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  /** Not sent again before this time (back-off), unless the drain is forced. */
  nextAttemptAt: number;
  /** Why the last attempt failed (kept on a retryable failure too, to show "retrying: …"). */
  error?: QueueError | undefined;
  /** The case the server made (or replayed) for this report. */
  result?: { id: string; code: string } | undefined;
}

/** The part of `localStorage` the queue uses (a Map-backed fake in tests). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface QueueOptions<P> {
  storage: StorageLike | null;
  storageKey: string;
  /** Sends one report; resolves with the case, throws an {@link ApiError} on failure. */
  send: (payload: P, idempotencyKey: string) => Promise<{ id: string; code: string }>;
  /** The signed-in user's id, or null when nobody is signed in (nothing is sent then). */
  owner: () => string | null;
  isOnline?: () => boolean;
  now?: () => number;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** First retry delay; doubled on each failure up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Sent items are kept this long for the list, then forgotten. */
  keepSentMs?: number;
}

export interface DrainOptions {
  /** Ignore back-off and a hold after 401: the connection came back, or the worker asked. */
  force?: boolean;
}

export interface OfflineQueue<P> {
  /** All items (every owner), newest first; the same array until something changes. */
  list(): readonly QueueItem<P>[];
  /** Queues a report with a fresh idempotency key and tries to send it at once. */
  add(payload: P, label: string): QueueItem<P>;
  /** Sends what is due; concurrent calls share one run (no report is sent twice at once). */
  drain(opts?: DrainOptions): Promise<void>;
  /** Tries a failed (or waiting) item again now, with its same key. */
  retry(key: string): Promise<void>;
  /** Forgets an item that is not being sent. */
  remove(key: string): void;
  subscribe(listener: () => void): () => void;
  /** Listens for 'online', tab focus and other tabs' changes; sends what is due. Returns a stop function. */
  start(target?: EventTarget): () => void;
}

export type FailureKind = 'retry' | 'auth' | 'permanent';

/** How to treat a failed send: retry later, wait for a new sign-in, or stop and tell the worker. */
export function classifyFailure(err: unknown): FailureKind {
  if (!(err instanceof ApiError)) return 'permanent';
  if (err.status === 0) return 'retry'; // network error, timeout
  if (err.status === 401 || err.code === 'CSRF_INVALID') return 'auth';
  if (err.status === 408 || err.status === 429 || err.status >= 500) return 'retry';
  return 'permanent';
}

/**
 * A key the server accepts (`^[A-Za-z0-9_.:-]{8,100}$`). Uses `getRandomValues`, which, unlike
 * `randomUUID`, also exists on plain-http pages (a county intranet without TLS).
 */
export function newIdempotencyKey(prefix = 'k'): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${hex}`;
}

function toError(err: unknown): QueueError {
  if (err instanceof ApiError) {
    const fields = err.fieldErrors();
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      ...(Object.keys(fields).length ? { fields } : {}),
    };
  }
  return { status: 0, code: 'CLIENT_ERROR', message: err instanceof Error ? err.message : String(err) };
}

export function createQueue<P>(opts: QueueOptions<P>): OfflineQueue<P> {
  const now = opts.now ?? (() => Date.now());
  const random = opts.random ?? Math.random;
  const isOnline = opts.isOnline ?? (() => (typeof navigator === 'undefined' ? true : navigator.onLine));
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const base = opts.baseDelayMs ?? 5_000;
  const max = opts.maxDelayMs ?? 5 * 60_000;
  const keepSent = opts.keepSentMs ?? 7 * 24 * 3600_000;

  const listeners = new Set<() => void>();
  let snapshot: QueueItem<P>[] = [];
  let draining: Promise<void> | null = null;
  let again = false;
  /** No automatic attempt before this time: the network is down (back-off) or the session expired. */
  let pausedUntil = 0;
  let timer: unknown = null;

  function read(): QueueItem<P>[] {
    try {
      const raw = opts.storage?.getItem(opts.storageKey);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? (parsed as QueueItem<P>[]) : [];
    } catch {
      return snapshot.slice();
    }
  }

  function write(items: QueueItem<P>[]): void {
    const cutoff = now() - keepSent;
    const kept = items.filter((i) => i.status !== 'sent' || i.updatedAt >= cutoff);
    try {
      opts.storage?.setItem(opts.storageKey, JSON.stringify(kept));
    } catch {
      /* storage full or unavailable: the queue still works for this page's lifetime */
    }
    publish(kept);
  }

  function publish(items: QueueItem<P>[]): void {
    snapshot = items.slice().sort((a, b) => b.createdAt - a.createdAt);
    for (const l of listeners) l();
  }

  /** Changes one item, re-reading storage first so that another tab's changes are kept. */
  function update(key: string, change: Partial<QueueItem<P>>): void {
    const items = read();
    const i = items.findIndex((x) => x.key === key);
    if (i < 0) return;
    items[i] = { ...items[i]!, ...change, updatedAt: now() };
    write(items);
  }

  function backoff(attempts: number): number {
    const d = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
    return Math.round(d * (0.75 + random() / 2));
  }

  function due(force: boolean, me: string): QueueItem<P>[] {
    const t = now();
    return read()
      .filter((i) => i.owner === me && i.status === 'queued' && (force || i.nextAttemptAt <= t))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async function runOnce(force: boolean): Promise<void> {
    if (!isOnline()) return;
    if (!force && now() < pausedUntil) return;
    const me = opts.owner();
    if (!me) return;
    if (force) pausedUntil = 0;
    for (const item of due(force, me)) {
      // Another tab may have sent or removed it since we listed it.
      const fresh = read().find((i) => i.key === item.key);
      if (fresh?.status !== 'queued') continue;
      const attempts = fresh.attempts + 1;
      update(item.key, { status: 'sending', attempts });
      try {
        const result = await opts.send(fresh.payload, fresh.key);
        update(item.key, { status: 'sent', result, error: undefined });
      } catch (err) {
        const kind = classifyFailure(err);
        const error = toError(err);
        if (kind === 'permanent') {
          update(item.key, { status: 'failed', error });
          continue;
        }
        let wait = backoff(attempts);
        if (error.status === 429) wait = Math.max(wait, 60_000);
        const next = now() + wait;
        update(item.key, { status: 'queued', error, nextAttemptAt: kind === 'auth' ? now() : next });
        // The connection (or the session) is the problem, not this report: stop for now.
        pausedUntil = kind === 'auth' ? Number.POSITIVE_INFINITY : next;
        return;
      }
    }
  }

  function schedule(): void {
    if (timer !== null) clearTimer(timer);
    timer = null;
    const me = opts.owner();
    if (!me || pausedUntil === Number.POSITIVE_INFINITY) return;
    const waiting = read().filter((i) => i.owner === me && i.status === 'queued');
    if (waiting.length === 0) return;
    const at = Math.max(pausedUntil, Math.min(...waiting.map((i) => i.nextAttemptAt)));
    // Offline: look again now and then ('online' usually comes first).
    const delay = Math.max(isOnline() ? 0 : 30_000, at - now(), 250);
    timer = setTimer(() => {
      timer = null;
      void drain();
    }, delay);
  }

  function drain(dopts: DrainOptions = {}): Promise<void> {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      try {
        let force = dopts.force ?? false;
        do {
          again = false;
          await runOnce(force);
          force = false;
        } while (again);
      } finally {
        draining = null;
        schedule();
      }
    })();
    return draining;
  }

  // A page closed while sending left items in 'sending': send them again (same key, so no duplicate).
  {
    const items = read();
    if (items.some((i) => i.status === 'sending')) {
      write(items.map((i) => (i.status === 'sending' ? { ...i, status: 'queued' as const } : i)));
    } else {
      publish(items);
    }
  }

  return {
    list: () => snapshot,
    add(payload, label) {
      const me = opts.owner();
      if (!me) throw new Error('queue.add needs a signed-in owner');
      const t = now();
      const item: QueueItem<P> = {
        key: newIdempotencyKey('grid'),
        owner: me,
        payload,
        label,
        status: 'queued',
        attempts: 0,
        createdAt: t,
        updatedAt: t,
        nextAttemptAt: t,
      };
      write([...read(), item]);
      void drain();
      return item;
    },
    drain,
    async retry(key) {
      const item = read().find((i) => i.key === key);
      if (!item || item.status === 'sending' || item.status === 'sent') return;
      update(key, { status: 'queued', nextAttemptAt: 0 });
      await drain({ force: true });
    },
    remove(key) {
      write(read().filter((i) => i.key !== key || i.status === 'sending'));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start(target = globalThis as unknown as EventTarget) {
      const onOnline = () => void drain({ force: true });
      const onVisible = () => {
        if (typeof document === 'undefined' || document.visibilityState === 'visible') void drain();
      };
      const onStorage = (e: Event) => {
        if ((e as StorageEvent).key === opts.storageKey) publish(read());
      };
      target.addEventListener('online', onOnline);
      target.addEventListener('storage', onStorage);
      target.addEventListener('focus', onVisible);
      void drain();
      return () => {
        target.removeEventListener('online', onOnline);
        target.removeEventListener('storage', onStorage);
        target.removeEventListener('focus', onVisible);
        if (timer !== null) clearTimer(timer);
        timer = null;
      };
    },
  };
}
