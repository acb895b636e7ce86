/**
 * Preferences remembered on this device (language, large text) and the small external store
 * that lets components re-render when one changes.
 */
import { useSyncExternalStore } from 'react';

/** Reads a remembered value; storage can be missing or throw (private browsing, old WebViews). */
export function readPref(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** Remembers a value; a failure only means it is forgotten on the next visit. */
export function writePref(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    /* not remembered, still applied for this visit */
  }
}

/** A value with listeners, read by components through `useSyncExternalStore`. */
export interface Store<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: () => void): () => void;
}

/** Creates a {@link Store}; `onChange` runs on every change (apply to the document, remember). */
export function createStore<T>(initial: T, onChange?: (value: T) => void): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      onChange?.(value);
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Re-renders the caller when the store changes. */
export function useStore<T>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

const LARGE_TEXT_KEY = 'gongzhi.largeText';

function applyLargeText(on: boolean): void {
  if (typeof document !== 'undefined') document.documentElement.classList.toggle('large-text', on);
}

/** 大字模式: scales the root font size to 125 %, so every rem-based size grows with it. */
export const largeText = createStore<boolean>(readPref(LARGE_TEXT_KEY) === '1', (on) => {
  applyLargeText(on);
  writePref(LARGE_TEXT_KEY, on ? '1' : '0');
});

applyLargeText(largeText.get());
