import { type RefObject, useEffect, useRef } from 'react';
import { translate, useLang } from './i18n.ts';

/** Sets the tab title to "<page> · 共治" (the brand localised; not repeated when the page names it). */
export function useDocumentTitle(page: string | null): void {
  const lang = useLang();
  useEffect(() => {
    const brand = translate(lang, 'app.name');
    document.title = page && !page.includes(brand) ? `${page} · ${brand}` : (page ?? brand);
  }, [page, lang]);
}

/**
 * Moves keyboard and screen-reader focus to `ref` when `key` changes (not on first render), as a
 * page change would (as soon as the target is rendered): used when a view replaces its content in place (region levels, org levels).
 */
export function useFocusOnChange(key: string, ref: RefObject<HTMLElement | null>): void {
  const previous = useRef(key);
  const pending = useRef(false);
  // No dependency list on purpose: the target may only appear after a later render (loading first).
  useEffect(() => {
    if (previous.current !== key) {
      previous.current = key;
      pending.current = true;
    }
    if (pending.current && ref.current) {
      pending.current = false;
      ref.current.focus();
    }
  });
}
