import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, type EventInput, setCsrfToken } from '../api.ts';
import { classifyFailure, createQueue, newIdempotencyKey, type StorageLike } from './queue.ts';

type Report = Omit<EventInput, 'idempotencyKey'>;

const report: Report = {
  type: 'event',
  channel: 'grid',
  categoryId: 'CJ01',
  description: '路灯不亮，已三天',
  lon: 115.95,
  lat: 28.55,
};

/** localStorage stand-in. */
function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => {
      data.set(k, v);
    },
  };
}

/** A server for POST /api/cases: answers each call with the next planned reply and remembers keys. */
function fakeServer(plan: Array<number | 'network' | 'hang' | 'lost'>) {
  const cases = new Map<string, string>();
  const calls: { key: string | undefined; body: Record<string, unknown> }[] = [];
  let hung: (() => void) | null = null;
  const fetchMock = vi.fn(async (_url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    const key = headers['Idempotency-Key'];
    calls.push({ key, body });
    const step = plan.shift() ?? 201;
    // 'lost': the server stores the case but the answer never arrives (the page is closed meanwhile).
    if (step === 'lost') {
      if (key && !cases.has(key)) cases.set(key, `E26113000${cases.size + 1}`);
      return new Promise<Response>(() => {});
    }
    if (step === 'hang') await new Promise<void>((r) => (hung = r));
    if (step === 'network') throw new TypeError('Failed to fetch');
    if (step !== 201 && step !== 'hang') {
      return new Response(
        JSON.stringify({
          error: {
            code: step === 400 ? 'VALIDATION_FAILED' : step === 401 ? 'AUTH_REQUIRED' : 'HTTP',
            message: step === 400 ? '请求参数有误' : `status ${step}`,
            details: step === 400 ? [{ field: 'categoryId', message: '类别不存在或不适用' }] : [],
          },
        }),
        { status: step, headers: { 'Content-Type': 'application/json' } },
      );
    }
    const replayed = key !== undefined && cases.has(key);
    const code = replayed ? cases.get(key!)! : `E26113000${cases.size + 1}`;
    if (key && !replayed) cases.set(key, code);
    return new Response(
      JSON.stringify({ case: { id: `id-${code}`, code, state: 'reported' }, abilities: {}, replayed }),
      { status: replayed ? 200 : 201, headers: { 'Content-Type': 'application/json' } },
    );
  });
  return { fetchMock, calls, cases, release: () => hung?.() };
}

/** A controllable clock and timer list. */
function fakeClock(start = 1_000_000) {
  let t = start;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  return {
    now: () => t,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimer: (h: unknown) => {
      const i = timers.findIndex((x) => x.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
    pending: () => timers.length,
    /** Moves time on and runs the timers that came due. */
    advance(ms: number) {
      t += ms;
      for (const due of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(due), 1);
        due.fn();
      }
    },
  };
}

const send = (payload: Report, key: string) =>
  api.reportEvent({ ...payload, idempotencyKey: key }).then((r) => ({ id: r.case.id, code: r.case.code }));

function makeQueue(
  storage: StorageLike,
  clock: ReturnType<typeof fakeClock>,
  extra: { owner?: () => string | null; online?: () => boolean } = {},
) {
  return createQueue<Report>({
    storage,
    storageKey: 'test.queue',
    send,
    owner: extra.owner ?? (() => 'user-1'),
    isOnline: extra.online ?? (() => true),
    now: clock.now,
    random: () => 0.5,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
  });
}

/** Lets pending promise callbacks run (fetch → json → update). */
const settle = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => setCsrfToken('csrf'));
afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
});

describe('offline report queue', () => {
  it('sends a report with its idempotency key in the header and body and records the code', async () => {
    const server = fakeServer([201]);
    vi.stubGlobal('fetch', server.fetchMock);
    const storage = memoryStorage();
    const q = makeQueue(storage, fakeClock());
    const item = q.add(report, '路灯不亮');
    expect(item.key).toMatch(/^[A-Za-z0-9_.:-]{8,100}$/);
    await q.drain();
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]!.key).toBe(item.key);
    expect(server.calls[0]!.body.idempotencyKey).toBe(item.key);
    const [sent] = q.list();
    expect(sent!.status).toBe('sent');
    expect(sent!.result?.code).toBe('E261130001');
    // Kept on the device: a reload sees the same list.
    expect(JSON.parse(storage.data.get('test.queue')!)[0].status).toBe('sent');
  });

  it('retries a network failure with back-off and the same key, so the server keeps one case', async () => {
    // The first attempt reaches the server but the answer is lost (we model it as: stored, then network
    // error on the next try) — here: network error, then 503, then success.
    const server = fakeServer(['network', 503, 201]);
    vi.stubGlobal('fetch', server.fetchMock);
    const clock = fakeClock();
    const q = makeQueue(memoryStorage(), clock);
    const item = q.add(report, 'x');
    await q.drain();
    expect(q.list()[0]!.status).toBe('queued');
    expect(q.list()[0]!.error?.code).toBe('NETWORK_ERROR');
    expect(q.list()[0]!.attempts).toBe(1);

    // Not before the back-off (1 s for the first failure).
    await q.drain();
    expect(server.calls).toHaveLength(1);

    clock.advance(1_000);
    await settle();
    await q.drain();
    expect(server.calls).toHaveLength(2);
    expect(q.list()[0]!.error?.status).toBe(503);

    clock.advance(2_000); // second failure: 2 s
    await settle();
    await q.drain();
    expect(server.calls.map((c) => c.key)).toEqual([item.key, item.key, item.key]);
    expect(q.list()[0]!.status).toBe('sent');
    expect(server.cases.size).toBe(1);
  });

  it('treats a lost answer as a retry that the server replays instead of duplicating', async () => {
    const server = fakeServer(['lost', 201]);
    vi.stubGlobal('fetch', server.fetchMock);
    const storage = memoryStorage();
    const clock = fakeClock();
    const q = makeQueue(storage, clock);
    const item = q.add(report, 'x');
    await settle();
    // The page is closed while the request is in flight: storage still says 'sending'.
    expect(JSON.parse(storage.data.get('test.queue')!)[0].status).toBe('sending');
    // After a reload, the item is sent again with the same key; the server answers with the first case.
    const reloaded = makeQueue(storage, clock);
    expect(reloaded.list()[0]!.status).toBe('queued');
    await reloaded.drain();
    expect(server.calls.map((c) => c.key)).toEqual([item.key, item.key]);
    expect(server.cases.size).toBe(1);
    expect(reloaded.list()[0]!.result?.code).toBe('E261130001');
  });

  it('sends each report once when "online" fires twice', async () => {
    const server = fakeServer(['hang', 201]);
    vi.stubGlobal('fetch', server.fetchMock);
    let online = false;
    const target = new EventTarget();
    const q = makeQueue(memoryStorage(), fakeClock(), { online: () => online });
    q.add(report, 'a');
    q.add({ ...report, description: '第二件事：垃圾堆放' }, 'b');
    const stop = q.start(target);
    await settle();
    expect(server.calls).toHaveLength(0); // offline: nothing tried

    online = true;
    target.dispatchEvent(new Event('online'));
    target.dispatchEvent(new Event('online'));
    await settle();
    expect(server.calls).toHaveLength(1); // the first report is in flight, nothing else started
    expect(q.list().find((i) => i.label === 'a')!.status).toBe('sending');
    server.release();
    await q.drain();
    await settle();
    expect(server.calls).toHaveLength(2);
    expect(new Set(server.calls.map((c) => c.key)).size).toBe(2);
    expect(q.list().every((i) => i.status === 'sent')).toBe(true);
    stop();
  });

  it('stops on a permanent failure (400), keeps the reason and field messages, and never retries by itself', async () => {
    const server = fakeServer([400, 201]);
    vi.stubGlobal('fetch', server.fetchMock);
    const clock = fakeClock();
    const q = makeQueue(memoryStorage(), clock);
    const item = q.add(report, 'x');
    await q.drain();
    const failed = q.list()[0]!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(failed.error?.fields).toEqual({ categoryId: '类别不存在或不适用' });

    clock.advance(10 * 60_000);
    await q.drain({ force: true });
    expect(server.calls).toHaveLength(1);
    expect(clock.pending()).toBe(0);

    // The worker may ask again explicitly: same key.
    await q.retry(item.key);
    expect(server.calls.map((c) => c.key)).toEqual([item.key, item.key]);
    expect(q.list()[0]!.status).toBe('sent');
  });

  it('retries 408 and 429 but not 403 or 404', () => {
    const mk = async (status: number) => {
      vi.stubGlobal('fetch', fakeServer([status]).fetchMock);
      return api.reportEvent({ ...report }).catch((e: unknown) => e);
    };
    return Promise.all([408, 429, 500, 502, 403, 404, 409].map(mk)).then((errors) => {
      expect(errors.map(classifyFailure)).toEqual([
        'retry',
        'retry',
        'retry',
        'retry',
        'permanent',
        'permanent',
        'permanent',
      ]);
    });
  });

  it('holds the queue after 401 until a forced drain (signed in again)', async () => {
    const server = fakeServer([401, 201]);
    vi.stubGlobal('fetch', server.fetchMock);
    const clock = fakeClock();
    const q = makeQueue(memoryStorage(), clock);
    q.add(report, 'x');
    await q.drain();
    expect(q.list()[0]!.status).toBe('queued');
    expect(q.list()[0]!.error?.status).toBe(401);
    clock.advance(60 * 60_000);
    await q.drain();
    expect(server.calls).toHaveLength(1);
    await q.drain({ force: true });
    expect(q.list()[0]!.status).toBe('sent');
  });

  it("never sends another user's reports", async () => {
    const server = fakeServer([201]);
    vi.stubGlobal('fetch', server.fetchMock);
    const storage = memoryStorage();
    const clock = fakeClock();
    let me: string | null = 'user-1';
    let online = false;
    const q = makeQueue(storage, clock, { owner: () => me, online: () => online });
    me = null;
    expect(() => q.add(report, 'x')).toThrow();
    me = 'user-1';
    q.add(report, 'x');
    online = true;
    me = 'user-2';
    await q.drain({ force: true });
    expect(server.calls).toHaveLength(0);
    me = 'user-1';
    await q.drain();
    expect(server.calls).toHaveLength(1);
  });

  it('makes distinct keys the server accepts', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey('grid')));
    expect(keys.size).toBe(50);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9_.:-]{8,100}$/);
  });
});
