/**
 * The grid worker's outbox: event reports queued on the device (see offline/queue.ts) and sent
 * with POST /api/cases by whoever queued them, when the connection allows.
 */
import { useSyncExternalStore } from 'react';
import { api, type EventInput } from '../api.ts';
import { createQueue, type OfflineQueue, type QueueItem, type StorageLike } from '../offline/queue.ts';
import { type Photo, uploadPhotos } from '../photos.ts';
import { getSession } from '../session.ts';

/** A queued report: the photos travel with it on the device and are uploaded when it is sent. */
export type EventReport = Omit<EventInput, 'idempotencyKey' | 'attachments'> & { photos?: Photo[] };

function storage(): StorageLike | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

let queue: OfflineQueue<EventReport> | null = null;
let started = false;

export function outbox(): OfflineQueue<EventReport> {
  queue ??= createQueue<EventReport>({
    storage: storage(),
    storageKey: 'gongzhi.grid.outbox',
    send: async ({ photos = [], ...payload }, key) => {
      // The server answers the same id for the same bytes from the same person, so a retry after
      // a dropped connection stores no photo twice; the key then makes the report itself once.
      const ids = await uploadPhotos(photos, api.upload);
      const r = await api.reportEvent({
        ...payload,
        ...(ids.length ? { attachments: ids } : {}),
        idempotencyKey: key,
      });
      return { id: r.case.id, code: r.case.code };
    },
    owner: () => {
      const s = getSession();
      return s.status === 'staff' ? String(s.user.id) : null;
    },
  });
  return queue;
}

/** Starts listening for 'online' and the retry timer, once per page load. */
export function startOutbox(): void {
  if (started) return;
  started = true;
  outbox().start(window);
}

export function useOutbox(): readonly QueueItem<EventReport>[] {
  const q = outbox();
  return useSyncExternalStore(q.subscribe, q.list, q.list);
}
