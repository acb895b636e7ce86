/** Distances on the Earth, shared by the server (patrol tracks) and the web app. */

/** A [lon, lat] point (further entries, such as a time, are ignored). */
export type LonLat = readonly number[];

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS = 6_371_008.8;

/** Great-circle distance in metres between two [lon, lat] points (haversine). */
export function distanceMetres(a: LonLat, b: LonLat): number {
  const rad = Math.PI / 180;
  const dLat = ((b[1] ?? 0) - (a[1] ?? 0)) * rad;
  const dLon = ((b[0] ?? 0) - (a[0] ?? 0)) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos((a[1] ?? 0) * rad) * Math.cos((b[1] ?? 0) * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The length in metres of a path of [lon, lat] points. */
export function pathLength(points: readonly LonLat[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += distanceMetres(points[i - 1]!, points[i]!);
  return total;
}
