/**
 * Sends the patrol to the server when the network allows: first the start (named by the device's
 * `clientId`, so a start sent twice makes one patrol), then the points the server does not have,
 * then the end. Nothing is lost offline: the track stays on the device until the server has it,
 * and points sent twice count once on the server.
 */
import { api } from '../api.ts';
import { getSession } from '../session.ts';
import { type PatrolState, patrol } from './patrol.ts';

/** Points sent in one request (the server takes up to 1,000). */
const BATCH = 500;
const RETRY_MS = 30_000;

export interface PatrolApi {
  start(body: { clientId: string; startedAt: string }): Promise<{ patrol: { id: string } }>;
  points(
    id: string,
    body: { points: [number, number, number][]; end?: boolean; endedAt?: string },
  ): Promise<unknown>;
}

/** What is still to send, given the state on the device. */
export function pending(s: PatrolState): { start: boolean; points: number; end: boolean } {
  if (!s.clientId || !s.startedAt) return { start: false, points: 0, end: false };
  return {
    start: s.serverId === null,
    points: s.points.filter((p) => p.at > s.syncedUntil).length,
    end: !s.active && s.stoppedAt !== null && !s.endSent,
  };
}

/**
 * One round of sending. Reads the current state before each step and writes progress as it goes,
 * so a failure part-way keeps what arrived. Throws the network error to the caller.
 */
export async function syncPatrol(
  client: PatrolApi,
  get: () => PatrolState,
  set: (next: PatrolState) => void,
): Promise<void> {
  let s = get();
  const todo = pending(s);
  if (!todo.start && !todo.points && !todo.end) return;
  const clientId = s.clientId!;
  if (todo.start) {
    const r = await client.start({ clientId, startedAt: new Date(s.startedAt!).toISOString() });
    s = get();
    if (s.clientId !== clientId) return; // a new patrol began meanwhile
    set({ ...s, serverId: r.patrol.id });
  }
  for (;;) {
    s = get();
    if (s.clientId !== clientId || !s.serverId) return;
    const batch = s.points.filter((p) => p.at > s.syncedUntil).slice(0, BATCH);
    const rest = pending(s).points - batch.length;
    const ending = rest === 0 && pending(s).end;
    if (batch.length === 0 && !ending) return;
    await client.points(s.serverId, {
      points: batch.map((p) => [p.lon, p.lat, Math.round(p.at)]),
      ...(ending ? { end: true, endedAt: new Date(s.stoppedAt!).toISOString() } : {}),
    });
    const now = get();
    if (now.clientId !== clientId) return;
    set({
      ...now,
      syncedUntil: batch.length ? Math.max(now.syncedUntil, batch.at(-1)!.at) : now.syncedUntil,
      endSent: now.endSent || ending,
    });
    if (ending) return;
  }
}

const client: PatrolApi = {
  start: (body) => api.patrolStart(body),
  points: (id, body) => api.patrolPoints(id, body),
};

let running: Promise<void> | null = null;
let started = false;

/** Sends what is pending now (one round at a time; failures wait for the next chance). */
export function flushPatrol(): Promise<void> {
  const session = getSession();
  // Only the worker who walked it sends a patrol (another worker may sign in on the same phone).
  if (session.status !== 'staff' || String(session.user.id) !== patrol.get().owner) return Promise.resolve();
  running ??= syncPatrol(client, patrol.get, patrol.set)
    .catch(() => undefined)
    .finally(() => {
      running = null;
    });
  return running;
}

/** Sends on start, when the network returns, every 30 s, and when the track grows or stops. */
export function startPatrolSync(win: Window): void {
  if (started) return;
  started = true;
  win.addEventListener('online', () => void flushPatrol());
  win.setInterval(() => void flushPatrol(), RETRY_MS);
  let last = patrol.get();
  patrol.subscribe(() => {
    const s = patrol.get();
    const grew = s.points.length - last.points.length >= 20;
    const changed = s.clientId !== last.clientId || s.active !== last.active;
    if (grew || changed) {
      last = s;
      void flushPatrol();
    }
  });
  void flushPatrol();
}
