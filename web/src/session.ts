/**
 * Who is signed in, as known to this tab. Loaded once from `GET /api/auth/me` at start and
 * updated by sign-in and sign-out; the CSRF token itself lives in api.ts.
 */
import { ApiError, api, type Citizen, isAbort, type StaffUser, setCsrfToken } from './api.ts';
import { createStore, useStore } from './prefs.ts';

export type Session =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'error'; error: ApiError }
  | { status: 'staff'; user: StaffUser }
  | { status: 'citizen'; citizen: Citizen };

const store = createStore<Session>({ status: 'loading' });

/** The current session; re-renders the caller when it changes. */
export function useSession(): Session {
  return useStore(store);
}

let loading: Promise<void> | null = null;

/** Asks the server who we are; a 401 means signed out. Concurrent calls share one request. */
export function loadSession(): Promise<void> {
  loading ??= (async () => {
    if (store.get().status === 'error') store.set({ status: 'loading' });
    try {
      const me = await api.me();
      store.set(
        me.kind === 'staff'
          ? { status: 'staff', user: me.user }
          : me.kind === 'citizen'
            ? { status: 'citizen', citizen: me.citizen }
            : { status: 'anonymous' },
      );
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 401) store.set({ status: 'anonymous' });
      else if (err instanceof ApiError) store.set({ status: 'error', error: err });
      else throw err;
    } finally {
      loading = null;
    }
  })();
  return loading;
}

/** Records a staff sign-in answered by the server. */
export function signedInStaff(user: StaffUser): void {
  store.set({ status: 'staff', user });
}

/** Records a citizen sign-in answered by the server. */
export function signedInCitizen(citizen: Citizen): void {
  store.set({ status: 'citizen', citizen });
}

/** Forgets the session locally, after sign-out or when the server answers 401 to a signed-in call. */
export function signedOut(): void {
  setCsrfToken(null);
  store.set({ status: 'anonymous' });
}

/** The current session outside React (the offline queue asks who is signed in). */
export function getSession(): Session {
  return store.get();
}
