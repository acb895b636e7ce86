/**
 * The device's position through `navigator.geolocation`, with the reasons it can fail spelled out
 * so that the UI can offer the fallback (tap on the map, choose the village).
 */

export interface Fix {
  lon: number;
  lat: number;
  /** Metres (95 % radius, as the browser reports it). */
  accuracy: number;
  at: number;
}

export type LocateFailure = 'unsupported' | 'insecure' | 'denied' | 'unavailable' | 'timeout';

export class LocateError extends Error {
  override readonly name = 'LocateError';
  readonly reason: LocateFailure;
  constructor(reason: LocateFailure) {
    super(reason);
    this.reason = reason;
  }
}

/** Why positions cannot be asked for at all here, or null when they can. */
export function locateUnavailable(): LocateFailure | null {
  if (typeof window !== 'undefined' && window.isSecureContext === false) return 'insecure';
  if (typeof navigator === 'undefined' || !navigator.geolocation) return 'unsupported';
  return null;
}

export function toFix(p: GeolocationPosition): Fix {
  return {
    lon: Math.round(p.coords.longitude * 1e6) / 1e6,
    lat: Math.round(p.coords.latitude * 1e6) / 1e6,
    accuracy: Math.round(p.coords.accuracy),
    at: p.timestamp || Date.now(),
  };
}

export function toLocateError(e: GeolocationPositionError): LocateError {
  return new LocateError(e.code === 1 ? 'denied' : e.code === 3 ? 'timeout' : 'unavailable');
}

/** One position fix (high accuracy, up to 20 s; a fix up to 30 s old is good enough). */
export function locate(): Promise<Fix> {
  const blocked = locateUnavailable();
  if (blocked) return Promise.reject(new LocateError(blocked));
  return new Promise((resolve, reject) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(toFix(p)),
      (e) => reject(toLocateError(e)),
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 30_000 },
    );
  });
}
