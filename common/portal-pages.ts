/**
 * The portal's pages that are code loaded on demand (`lazy(() => import(…))` in web/src/App.tsx), by
 * path, and the public data a page asks for first. The server reads it to name a page's code in the
 * HTML it sends for that path (`<link rel="modulepreload">`) and to put the data in the page
 * (server/http/portal-html.ts), so a phone on a weak network fetches both with the entry's own code
 * instead of one round trip after it. Module keys are as in the Vite manifest (relative to web/).
 */
export interface PortalPage {
  /** The page's module, as a key of `dist/web/.vite/manifest.json`. */
  module: string;
  /** Public category tree the page needs before it is usable (sent inside the HTML). */
  categories?: 'appeal' | 'event';
}

export const PORTAL_PAGES: Readonly<Record<string, PortalPage>> = {
  '/appeal/new': { module: 'src/pages/AppealPage.tsx', categories: 'appeal' },
  '/appeal/done': { module: 'src/pages/AppealPage.tsx' },
  '/my': { module: 'src/pages/MyAppealsPage.tsx' },
  '/board': { module: 'src/pages/BoardPage.tsx' },
  '/kiosk': { module: 'src/pages/KioskPage.tsx', categories: 'appeal' },
  '/grid': { module: 'src/pages/GridPage.tsx' },
};

/** The page of a portal path (`/my/<code>` is the my-appeals module too), or undefined. */
export function portalPageOf(pathname: string): PortalPage | undefined {
  if (PORTAL_PAGES[pathname]) return PORTAL_PAGES[pathname];
  if (/^\/my\/[^/]+$/.test(pathname)) return PORTAL_PAGES['/my'];
  return undefined;
}

/** The id of the `<script type="application/json">` element holding a public category tree. */
export function bootCategoriesId(type: 'appeal' | 'event'): string {
  return `gz-boot-categories-${type}`;
}
