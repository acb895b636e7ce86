import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Config } from '../lib/config.ts';

/**
 * What the browser may use on this site: geolocation ("use my location" on the appeal form) and
 * the camera (photos) for our own pages, nothing else. Only features Chromium knows are listed —
 * an unknown one is a console error on every page.
 */
export const PERMISSIONS_POLICY =
  'geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), serial=(), bluetooth=()';

/**
 * Swagger UI at /docs: its bundle is our own origin, but it sets inline styles and draws its icons
 * from `data:` SVGs. Scoped to /docs so the application keeps the strict policy.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The origin of the configured map tile server (`MAP_TILE_URL`), allowed as an image source. */
export function tileOrigin(mapTileUrl: string | undefined): string | undefined {
  if (!mapTileUrl) return undefined;
  try {
    return new URL(mapTileUrl.replaceAll(/\{[a-z]+\}/g, '0')).origin;
  } catch {
    return undefined;
  }
}

/**
 * The Content-Security-Policy of the web UI, API and uploads:
 * - scripts only from our origin — the built pages have no inline script (Vite emits module files,
 *   the service worker is `/sw.js`), so an injected `<script>` or `onclick=` never runs. The one
 *   exception is the portal's first-visit HTML (server/http/portal-html.ts): its loader script is
 *   allowed by its sha256 and the modules it makes by `blob:`, on that response only
 *   ({@link contentSecurityPolicyHeader}); a blob: URL can only be made by script already running;
 * - styles from our origin plus `'unsafe-inline'`: Ant Design (CSS-in-JS) inserts `<style>` elements
 *   at run time and React sets `style=` attributes, which a nonce cannot cover. Styles cannot run
 *   code, so this gives away far less than inline scripts would;
 * - images from our origin, `data:` (icons inlined by the build) and `blob:` (photo previews before
 *   upload), and the tile server when one is configured;
 * - fetches, the live feed (SSE) and the service worker only to our origin; no framing at all.
 */
export function contentSecurityPolicy(config: Pick<Config, 'mapTileUrl' | 'hsts'>) {
  const tiles = tileOrigin(config.mapTileUrl);
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:', ...(tiles ? [tiles] : [])],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      workerSrc: ["'self'"],
      manifestSrc: ["'self'"],
      mediaSrc: ["'self'", 'blob:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      // Only behind TLS: on plain HTTP it would turn every same-site request into a failing https one.
      ...(config.hsts ? { upgradeInsecureRequests: [] } : {}),
    },
  };
}

/**
 * The policy above as the header value helmet writes, with `extraScriptSrc` added to `script-src`:
 * for the one response that needs more (the portal's first-visit HTML: its loader's hash, `blob:`).
 */
export function contentSecurityPolicyHeader(
  config: Pick<Config, 'mapTileUrl' | 'hsts'>,
  extraScriptSrc: readonly string[] = [],
): string {
  const { directives } = contentSecurityPolicy(config);
  return Object.entries(directives)
    .map(([name, values]: [string, string[]]) => {
      const sources = name === 'scriptSrc' ? [...values, ...extraScriptSrc] : values;
      const key = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return sources.length ? `${key} ${sources.join(' ')}` : key;
    })
    .join(';');
}

/** Options for @fastify/helmet: the CSP above, HSTS only behind TLS, same-origin referrers. */
export function helmetOptions(config: Pick<Config, 'mapTileUrl' | 'hsts'>): FastifyHelmetOptions {
  return {
    global: true,
    contentSecurityPolicy: contentSecurityPolicy(config),
    // Tiles and other cross-origin images are plain <img>: no COEP, which would demand CORP from them.
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: config.hsts ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    xContentTypeOptions: true,
  };
}
