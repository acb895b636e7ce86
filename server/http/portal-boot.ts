/**
 * The first-visit loader of the citizen portal (server/http/portal-html.ts, docs/decisions/0028),
 * sent as the page's one inline classic script and allowed by its sha256 in the CSP.
 *
 * - It turns the chunks the server put in the page (`#gz-code`, JSON) into blob: modules. A blob:
 *   module cannot import its siblings by their relative names (`./preact-x.js` does not resolve
 *   against a blob: URL), so each chunk's imports of its siblings are pointed at their blob: URLs,
 *   dependencies first: every chunk exists once, whoever imports it (one Preact, one router).
 * - Dynamic imports (`import("./Page-x.js")`, pages and languages loaded later) go through the same
 *   loader (`__gzImport`): the file is fetched from its real URL and linked the same way, so a page
 *   loaded later shares the modules of the inlined ones. `import.meta.url`/`.resolve` are the real
 *   file's (Vite's preload helper resolves its dependencies with them).
 * - Vite's preload helper would add `<link rel="modulepreload">` for a page's chunks before
 *   importing it (network fetches of files already in the page, or fetched by the loader): it skips
 *   any URL a `<link>` already names, so the loader adds inert `<link rel="gz-module">` for them.
 * - The entry is started by `import()` of its blob: URL, and the other chunks in the page (the
 *   page's own: its first screen) are imported at the same time rather than once the entry has
 *   rendered and asks for them. Should a file be missing, the usual module script is added instead.
 * - After `load`, at idle, the inlined files are fetched from their real URLs into the HTTP cache;
 *   only when all arrived is the cookie set that gets the small HTML (modulepreload links) next time.
 *
 * A string, not a function: bundlers and tsx rewrite a function's text (name helpers). No backtick
 * and no dollar-brace inside (String.raw); tests check that it parses. Modern syntax is fine: a
 * browser without ES modules cannot run the portal anyway.
 */
export const BOOT_SOURCE = String.raw`(() => {
  const el = document.getElementById('gz-code');
  if (!el) return;
  const d = JSON.parse(el.textContent);
  el.remove();
  const origin = location.origin;
  const urls = {};
  const rel = /(["'\x60])\.\/([\w.-]+\.js)\1/g;
  const dyn = /\bimport\((["'\x60])\.\/([\w.-]+\.js)\1\)/g;
  const get = (f) =>
    fetch('/' + f, { credentials: 'same-origin' }).then((r) => {
      if (!r.ok) throw new Error(r.status + ' /' + f);
      return r;
    });
  const load = (f, path) => {
    if (path.includes(f)) return Promise.reject(new Error('import cycle at /' + f));
    if (urls[f]) return urls[f];
    const own = d.files[f];
    const early = (d.graph[f] || []).map((k) => load(k, path.concat(f)));
    urls[f] = Promise.all([typeof own === 'string' ? own : get(f).then((r) => r.text()), ...early]).then(([text]) => {
      const code = text.replace(dyn, (_m, _q, n) => '__gzImport("assets/' + n + '")');
      const deps = {};
      for (const m of code.matchAll(rel)) deps['assets/' + m[2]] = '';
      return Promise.all(
        Object.keys(deps).map((k) => load(k, path.concat(f)).then((u) => { deps[k] = u; })),
      ).then(() => {
        const linked = code
          .replace(rel, (_m, _q, n) => JSON.stringify(deps['assets/' + n]))
          .replace(/\bimport\.meta\.url\b/g, JSON.stringify(origin + '/' + f))
          .replace(/\bimport\.meta\.resolve\b/g, '__gzResolve');
        return URL.createObjectURL(new Blob([linked], { type: 'text/javascript' }));
      });
    });
    return urls[f];
  };
  for (const f of Object.keys(d.graph)) {
    const l = document.createElement('link');
    l.rel = 'gz-module';
    l.href = '/' + f;
    document.head.appendChild(l);
  }
  window.__gzResolve = (s) => new URL(s, origin + '/assets/').href;
  window.__gzImport = (f) => load(f, []).then((u) => import(u));
  load(d.entry, []).then(
    (u) => import(u),
    () => {
      const s = document.createElement('script');
      s.type = 'module';
      s.src = '/' + d.entry;
      document.body.appendChild(s);
    },
  );
  for (const f of Object.keys(d.files)) {
    if (f !== d.entry) load(f, []).then((u) => import(u)).catch(() => undefined);
  }
  const warm = () =>
    Promise.all(d.warm.map((f) => get(f).then((r) => r.arrayBuffer()))).then(
      () => { document.cookie = d.cookie + '=' + d.id + '; Path=/; Max-Age=2592000; SameSite=Lax'; },
      () => undefined,
    );
  addEventListener('load', () =>
    setTimeout(() => (window.requestIdleCallback ? requestIdleCallback(warm, { timeout: 5000 }) : warm()), 1000),
  );
})();`;
