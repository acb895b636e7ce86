/**
 * Drafts kept on the device while a form is filled in, so that nothing typed is lost to a failed
 * submit, a dropped connection or a closed tab. Photos (data URLs, large) are kept under their own
 * key: when storage is full they are the part that is given up, never the text.
 */
import type { StorageLike } from './queue.ts';

function storage(): StorageLike | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export interface Saved<T> {
  value: T;
  savedAt: number;
}

export function loadDraft<T>(key: string, s: StorageLike | null = storage()): Saved<T> | null {
  try {
    const raw = s?.getItem(key);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Saved<T>;
    return parsed && typeof parsed === 'object' && 'value' in parsed ? parsed : null;
  } catch {
    return null;
  }
}

/** Saves; false when storage is missing or full (the caller may say so). */
export function saveDraft<T>(key: string, value: T, s: StorageLike | null = storage()): boolean {
  try {
    if (!s) return false;
    s.setItem(key, JSON.stringify({ value, savedAt: Date.now() } satisfies Saved<T>));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(key: string): void {
  try {
    globalThis.localStorage?.removeItem(key);
  } catch {
    /* nothing to clear */
  }
}
