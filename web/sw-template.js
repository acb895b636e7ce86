/*
 * Gongzhi's service worker for the citizen portal and the grid worker app: the pages open even when
 * the phone starts without a network (a village with no signal), and the public place and category
 * lists are there from the last visit. The build writes the list of files to keep
 * (self.__PRECACHE__) and a version; nothing personal is ever cached — no /api answer except the
 * public lists, and never a staff page.
 */
const PRECACHE = self.__PRECACHE__;
const VERSION = self.__VERSION__;
const SHELL = `gongzhi-shell-${VERSION}`;
const DATA = 'gongzhi-public-data';
/** Public lists kept for offline use (no personal data, no session needed). */
const PUBLIC_DATA = ['/api/public/regions', '/api/public/categories', '/api/public/grids'];
/** Fetched at install, so that a phone that opened only the home page can still fill in the form offline. */
const WARM = ['/api/public/regions', '/api/public/categories?type=appeal'];
const NAV_TIMEOUT_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() =>
        caches
          .open(DATA)
          .then((cache) => cache.addAll(WARM))
          .catch(() => undefined),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith('gongzhi-shell-') && k !== SHELL).map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms));
}

async function navigation(request) {
  try {
    // A weak network that stalls is treated like no network after a few seconds.
    return await Promise.race([fetch(request), timeout(NAV_TIMEOUT_MS)]);
  } catch {
    const cached = await caches.match('/index.html', { cacheName: SHELL });
    return cached ?? Response.error();
  }
}

async function publicData(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw err;
  }
}

async function asset(request) {
  const cached = await caches.match(request, { cacheName: SHELL });
  return cached ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith('/staff') || path.startsWith('/docs')) return;
  if (request.mode === 'navigate' && !path.startsWith('/api/')) {
    event.respondWith(navigation(request));
  } else if (PUBLIC_DATA.includes(path)) {
    event.respondWith(publicData(request));
  } else if (path.startsWith('/assets/')) {
    event.respondWith(asset(request));
  }
});
