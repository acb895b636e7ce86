import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort } from './api.ts';

export type AsyncState<T> =
  | { status: 'loading'; data?: undefined; error?: undefined }
  | { status: 'ok'; data: T; error?: undefined }
  | { status: 'error'; data?: undefined; error: ApiError };

export interface AsyncResult<T> {
  state: AsyncState<T>;
  /** Loads again (the retry button). */
  reload: () => void;
}

/**
 * Runs `load` whenever `key` changes, aborting the previous run. With a `cache`, a key seen before
 * is shown at once without a request (public data that changes rarely: regions, grid shapes).
 */
export function useAsync<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
  cache?: Map<string, T>,
): AsyncResult<T> {
  const loadRef = useRef(load);
  loadRef.current = load;
  const [attempt, setAttempt] = useState(0);
  const cached = key !== null ? cache?.get(key) : undefined;
  const [state, setState] = useState<{ key: string | null; value: AsyncState<T> }>(() => ({
    key,
    value: cached !== undefined ? { status: 'ok', data: cached } : { status: 'loading' },
  }));

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger; loads again on change.
  useEffect(() => {
    if (key === null) return;
    const hit = cache?.get(key);
    if (hit !== undefined) {
      setState({ key, value: { status: 'ok', data: hit } });
      return;
    }
    const controller = new AbortController();
    setState({ key, value: { status: 'loading' } });
    loadRef.current(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        cache?.set(key, data);
        setState({ key, value: { status: 'ok', data } });
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        const error =
          err instanceof ApiError
            ? err
            : new ApiError(0, 'CLIENT_ERROR', err instanceof Error ? err.message : String(err));
        setState({ key, value: { status: 'error', error } });
      },
    );
    return () => controller.abort();
  }, [key, attempt, cache]);

  const reload = useCallback(() => {
    if (key !== null) cache?.delete(key);
    setAttempt((n) => n + 1);
  }, [key, cache]);

  // Until the effect for a new key has run, show that key as loading rather than the old key's data.
  const value: AsyncState<T> =
    state.key === key
      ? state.value
      : cached !== undefined
        ? { status: 'ok', data: cached }
        : { status: 'loading' };
  return { state: value, reload };
}
