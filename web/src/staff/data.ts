/**
 * Reference data the workbench reads often and that changes rarely (categories, regions), fetched
 * once per page load and shared by every screen.
 */
import { useEffect } from 'react';
import { createStore, useStore } from '../prefs.ts';
import { type ApiError, asApiError, type Category, isMissingEndpoint, staffApi } from './api.ts';

type Loaded<T> = { data: T | null; error: ApiError | null; loading: boolean };

/** A value loaded once on first use and shared by every component that reads it. */
function shared<T>(load: () => Promise<T>) {
  const store = createStore<Loaded<T>>({ data: null, error: null, loading: true });
  let inflight = false;
  const ensure = (force = false) => {
    if (inflight || (!force && store.get().data !== null)) return;
    inflight = true;
    store.set({ data: force ? null : store.get().data, error: null, loading: true });
    load()
      .then(
        (data) => store.set({ data, error: null, loading: false }),
        (err: unknown) => store.set({ data: null, error: asApiError(err), loading: false }),
      )
      .finally(() => {
        inflight = false;
      });
  };
  return { store, ensure };
}

/**
 * The county's categories: the staff list when the server has it, else the public lists of both
 * case types (same codes and names), so the quick entry works while the admin endpoint is missing.
 */
const categories = shared(async (): Promise<{ items: Category[]; source: 'staff' | 'public' }> => {
  try {
    return { items: await staffApi.categories(), source: 'staff' };
  } catch (err) {
    if (!isMissingEndpoint(err)) throw err;
  }
  const [appeal, event] = await Promise.all([
    staffApi.publicCategories('appeal'),
    staffApi.publicCategories('event').catch(() => [] as Category[]),
  ]);
  const byId = new Map<string, Category>();
  for (const c of appeal) byId.set(c.id, { ...c, caseTypes: c.caseTypes.length ? c.caseTypes : ['appeal'] });
  for (const c of event) {
    const had = byId.get(c.id);
    byId.set(c.id, had ? { ...had, caseTypes: [...new Set([...had.caseTypes, 'event'])] } : c);
  }
  return { items: [...byId.values()], source: 'public' };
});

/** The categories (loaded on first use). */
export function useCategories() {
  useEffect(() => categories.ensure(), []);
  return useStore(categories.store);
}

/** Loads the categories again (after an edit). */
export function reloadCategories(): void {
  categories.ensure(true);
}

const regions = shared(() => staffApi.regions());

/** Townships and villages (public region data, loaded on first use). */
export function useRegions() {
  useEffect(() => regions.ensure(), []);
  return useStore(regions.store);
}

export interface CategoryNode {
  value: string;
  label: string;
  title: string;
  children?: CategoryNode[];
  disabled?: boolean;
}

/** Categories as a two-level tree for a Cascader or TreeSelect, optionally only those of a case type. */
export function categoryTree(items: Category[], lang: string, type?: string): CategoryNode[] {
  const name = (c: Category) => (lang === 'en' && c.nameEn ? c.nameEn : c.name);
  const usable = items.filter((c) => c.active !== false && (!type || c.caseTypes.includes(type)));
  const ids = new Set(usable.map((c) => c.id));
  const tops = items.filter((c) => !c.parentId && (ids.has(c.id) || usable.some((x) => x.parentId === c.id)));
  return tops.map((top) => {
    const children = usable
      .filter((c) => c.parentId === top.id)
      .map((c) => ({
        value: c.id,
        label: name(c),
        title: `${c.id} ${name(c)} ${(c.keywords ?? []).join(' ')}`,
      }));
    return {
      value: top.id,
      label: name(top),
      title: `${top.id} ${name(top)}`,
      ...(children.length ? { children } : {}),
    };
  });
}

/** The [parent, child] path of a category code, for a Cascader value. */
export function categoryPath(items: Category[], id: string | undefined): string[] | undefined {
  if (!id) return undefined;
  const c = items.find((x) => x.id === id);
  if (!c) return undefined;
  return c.parentId ? [c.parentId, c.id] : [c.id];
}
