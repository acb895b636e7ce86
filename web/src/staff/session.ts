/**
 * Who is signed in to the workbench. Loaded once from `GET /api/auth/me`; set by sign-in and
 * cleared by sign-out or by any call answering 401 (the session ended elsewhere).
 */

import { createStore, useStore } from '../prefs.ts';
import { navigate } from '../router.tsx';
import { ApiError, isAbort, type StaffUser, setCsrf, setUnauthorizedHandler, staffApi } from './api.ts';

export type StaffSession =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'error'; error: ApiError }
  | { status: 'staff'; user: StaffUser };

const store = createStore<StaffSession>({ status: 'loading' });

/** The current session; re-renders the caller when it changes. */
export function useStaffSession(): StaffSession {
  return useStore(store);
}

/** Asks the server who we are. A citizen session counts as signed out here. */
export async function loadStaffSession(): Promise<void> {
  try {
    const me = await staffApi.me();
    store.set(me.kind === 'staff' ? { status: 'staff', user: me.user } : { status: 'anonymous' });
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 401) store.set({ status: 'anonymous' });
    else
      store.set({
        status: 'error',
        error: err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)),
      });
  }
}

/** Records a sign-in answered by the server. */
export function signedIn(user: StaffUser): void {
  store.set({ status: 'staff', user });
}

/** Signs out on the server and here. */
export async function signOut(): Promise<void> {
  try {
    await staffApi.logout();
  } finally {
    setCsrf(null);
    store.set({ status: 'anonymous' });
    navigate('/staff/login', { replace: true });
  }
}

// A call that answers 401 means the session is gone: back to the sign-in page, then back here.
setUnauthorizedHandler(() => {
  if (store.get().status !== 'staff') return;
  setCsrf(null);
  store.set({ status: 'anonymous' });
  const here = window.location.pathname + window.location.search;
  navigate(`/staff/login?next=${encodeURIComponent(here)}`, { replace: true });
});
