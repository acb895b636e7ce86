import { describe, expect, it } from 'vitest';
import type { PatrolState } from './patrol.ts';
import { type PatrolApi, pending, syncPatrol } from './patrol-sync.ts';

const base: PatrolState = {
  owner: 'u1',
  active: true,
  startedAt: 1_000,
  stoppedAt: null,
  points: [],
  last: null,
  error: null,
  clientId: 'p-abc',
  serverId: null,
  syncedUntil: 0,
  endSent: false,
};
const pts = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    lon: 115.9 + i * 1e-3,
    lat: 28.6,
    at: 2_000 + (from + i) * 1_000,
    acc: 5,
  }));

/** A fake server that records calls and can fail on a chosen call. */
function server(failOn?: number) {
  const calls: { kind: string; body: unknown }[] = [];
  let n = 0;
  const maybeFail = () => {
    if (++n === failOn) throw new Error('network down');
  };
  const api: PatrolApi = {
    async start(body) {
      maybeFail();
      calls.push({ kind: 'start', body });
      return { patrol: { id: 'srv-1' } };
    },
    async points(id, body) {
      maybeFail();
      calls.push({ kind: `points:${id}`, body });
      return {};
    },
  };
  return { api, calls };
}

function store(initial: PatrolState) {
  let s = initial;
  return { get: () => s, set: (n: PatrolState) => (s = n) };
}

describe('patrol sync', () => {
  it('sends the start, then the points in batches of 500, then the end, and nothing more', async () => {
    const st = store({ ...base, points: pts(1200), active: false, stoppedAt: 9_999_999 });
    const { api, calls } = server();
    await syncPatrol(api, st.get, st.set);
    expect(calls.map((c) => c.kind)).toEqual(['start', 'points:srv-1', 'points:srv-1', 'points:srv-1']);
    const sizes = calls.slice(1).map((c) => (c.body as { points: unknown[] }).points.length);
    expect(sizes).toEqual([500, 500, 200]);
    expect((calls[3]!.body as { end?: boolean }).end).toBe(true);
    expect(st.get()).toMatchObject({ serverId: 'srv-1', endSent: true });
    expect(pending(st.get())).toEqual({ start: false, points: 0, end: false });
    await syncPatrol(api, st.get, st.set);
    expect(calls).toHaveLength(4);
  });

  it('keeps what arrived when the network drops part-way, and resumes from there', async () => {
    const st = store({ ...base, points: pts(700) });
    const flaky = server(3); // start ok, first batch ok, second batch fails
    await expect(syncPatrol(flaky.api, st.get, st.set)).rejects.toThrow('network down');
    expect(st.get().serverId).toBe('srv-1');
    expect(pending(st.get()).points).toBe(200);
    const ok = server();
    await syncPatrol(ok.api, st.get, st.set);
    // No second start: the patrol is known; only the 200 missing points go.
    expect(ok.calls.map((c) => c.kind)).toEqual(['points:srv-1']);
    expect((ok.calls[0]!.body as { points: unknown[] }).points).toHaveLength(200);
    expect((ok.calls[0]!.body as { end?: boolean }).end).toBeUndefined();
  });

  it('sends nothing for a device without a patrol', async () => {
    const st = store({ ...base, clientId: null, startedAt: null });
    const { api, calls } = server();
    await syncPatrol(api, st.get, st.set);
    expect(calls).toEqual([]);
  });
});
