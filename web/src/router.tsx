/**
 * A tiny client-side router on the History API: the location is an external store, `navigate`
 * pushes or replaces an entry, and `<Link>` turns same-origin clicks into `navigate` calls.
 */
import { type AnchorHTMLAttributes, type MouseEvent, useMemo, useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one (redirects, tab switches). */
  replace?: boolean;
}

/** Goes to a same-origin URL (`/me?org=3`) without reloading the page. */
export function navigate(to: string, opts: NavigateOptions = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else {
    window.history.pushState(null, '', to);
    // A new page starts at the top; going back keeps the browser's own scroll restoration.
    window.scrollTo(0, 0);
  }
  notify();
}

export interface Location {
  path: string;
  query: URLSearchParams;
  /** path + search, usable as a React key or an effect dependency. */
  href: string;
}

/** The current location; re-renders the caller when it changes. */
export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot, () => '/');
  return useMemo(() => {
    const url = new URL(href, 'http://local');
    return { path: url.pathname, query: url.searchParams, href };
  }, [href]);
}

/** Builds `path?k=v` from the non-empty values of `params`. */
export function href(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `${path}?${s}` : path;
}

export type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & {
  to: string;
  replace?: boolean;
};

/** An `<a>` that navigates client-side for plain left clicks and lets the browser handle the rest. */
export function Link({ to, replace, onClick, children, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (
      e.defaultPrevented ||
      e.button !== 0 ||
      e.metaKey ||
      e.ctrlKey ||
      e.shiftKey ||
      e.altKey ||
      (rest.target && rest.target !== '_self')
    ) {
      return;
    }
    e.preventDefault();
    navigate(to, { replace: replace ?? false });
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
