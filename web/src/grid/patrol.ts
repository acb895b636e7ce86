/**
 * Patrol tracks (巡查轨迹): positions from `watchPosition` while a patrol is on, kept on the device
 * first and sent to the server when the network allows (see patrol-sync.ts). The patrol survives a
 * reload: the page resumes watching when it opens again. While patrolling, the screen is kept on
 * where the browser allows.
 */
import { distanceMetres, pathLength } from '../geo.ts';
import { type Fix, type LocateFailure, locateUnavailable, toFix, toLocateError } from '../geolocate.ts';
import { createStore, readPref, writePref } from '../prefs.ts';

export interface TrackPoint {
  lon: number;
  lat: number;
  at: number;
  acc: number;
}

export interface PatrolState {
  /** The user whose patrol this is: another worker on the same phone never sees it. */
  owner: string | null;
  active: boolean;
  startedAt: number | null;
  stoppedAt: number | null;
  points: TrackPoint[];
  /** The latest fix, also when too inaccurate to join the track. */
  last: Fix | null;
  error: LocateFailure | null;
  /** The device's id for this patrol (the server makes one patrol per id, however often it is sent). */
  clientId: string | null;
  /** The server's id, once the start has arrived. */
  serverId: string | null;
  /** Time of the last point the server has. */
  syncedUntil: number;
  /** Whether the server knows the patrol ended. */
  endSent: boolean;
}

const KEY = 'gongzhi.patrol';
/** Fixes less accurate than this are shown as "my position" but do not join the track. */
const MAX_ACCURACY_M = 100;
/** A new point when the worker has moved this far, or after this long standing still. */
const MIN_STEP_M = 10;
const MAX_GAP_MS = 60_000;
const MAX_POINTS = 5000;

const EMPTY: PatrolState = {
  owner: null,
  active: false,
  startedAt: null,
  stoppedAt: null,
  points: [],
  last: null,
  error: null,
  clientId: null,
  serverId: null,
  syncedUntil: 0,
  endSent: false,
};

function load(): PatrolState {
  try {
    const raw = readPref(KEY);
    return raw ? { ...EMPTY, ...(JSON.parse(raw) as PatrolState), error: null } : EMPTY;
  } catch {
    return EMPTY;
  }
}

export const patrol = createStore<PatrolState>(load(), (s) => writePref(KEY, JSON.stringify(s)));

let watchId: number | null = null;
let wakeLock: { release(): Promise<void> } | null = null;

async function keepScreenOn(): Promise<void> {
  try {
    const nav = navigator as Navigator & {
      wakeLock?: { request(type: 'screen'): Promise<{ release(): Promise<void> }> };
    };
    if (nav.wakeLock && document.visibilityState === 'visible')
      wakeLock = await nav.wakeLock.request('screen');
  } catch {
    /* not allowed here: the patrol still records while the page is open */
  }
}

function onVisible(): void {
  if (document.visibilityState === 'visible' && patrol.get().active) void keepScreenOn();
}

/** Adds a fix to the track when it is accurate and far enough from (or long enough after) the last point. */
export function addFix(s: PatrolState, fix: Fix): PatrolState {
  const next = { ...s, last: fix, error: null };
  if (!s.active || fix.accuracy > MAX_ACCURACY_M) return next;
  const prev = s.points[s.points.length - 1];
  if (
    prev &&
    distanceMetres([prev.lon, prev.lat], [fix.lon, fix.lat]) < MIN_STEP_M &&
    fix.at - prev.at < MAX_GAP_MS
  ) {
    return next;
  }
  const points = [...s.points, { lon: fix.lon, lat: fix.lat, at: fix.at, acc: fix.accuracy }];
  return { ...next, points: points.length > MAX_POINTS ? points.slice(-MAX_POINTS) : points };
}

function watch(): void {
  if (watchId !== null) return;
  const blocked = locateUnavailable();
  if (blocked) {
    patrol.set({ ...patrol.get(), error: blocked });
    return;
  }
  watchId = navigator.geolocation.watchPosition(
    (p) => patrol.set(addFix(patrol.get(), toFix(p))),
    (e) => {
      const reason = toLocateError(e).reason;
      patrol.set({ ...patrol.get(), error: reason });
      if (reason === 'denied') stopPatrol();
    },
    { enableHighAccuracy: true, maximumAge: 5_000, timeout: 60_000 },
  );
  void keepScreenOn();
  document.addEventListener('visibilitychange', onVisible);
}

function unwatch(): void {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  void wakeLock?.release().catch(() => undefined);
  wakeLock = null;
  document.removeEventListener('visibilitychange', onVisible);
}

/** Starts a new patrol for `owner` (the previous track is replaced). */
export function startPatrol(owner: string): void {
  const id = new Uint8Array(12);
  crypto.getRandomValues(id);
  const clientId = `p-${Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  patrol.set({ ...EMPTY, owner, active: true, startedAt: Date.now(), last: patrol.get().last, clientId });
  watch();
}

export function stopPatrol(): void {
  unwatch();
  const s = patrol.get();
  if (s.active) patrol.set({ ...s, active: false, stoppedAt: Date.now() });
}

export function clearPatrol(): void {
  unwatch();
  patrol.set({ ...EMPTY, last: patrol.get().last });
}

/** After a reload: keeps watching if this user's patrol was on. */
export function resumePatrol(owner: string): void {
  const s = patrol.get();
  if (s.active && s.owner === owner) watch();
}

/** Metres walked along the track. */
export function walked(s: PatrolState): number {
  return pathLength(s.points.map((p) => [p.lon, p.lat]));
}

/** The village a cadre (whose unit is a township) chose to patrol, remembered on the device. */
export function rememberVillage(owner: string, village: string): void {
  writePref(`gongzhi.grid.village.${owner}`, village);
}

export function rememberedVillage(owner: string): string | null {
  return readPref(`gongzhi.grid.village.${owner}`);
}
