import { useEffect, useState } from 'react';

/** A case as the live feed tells it (see GET /api/live). */
export interface LiveCase {
  kind: 'received' | 'closed';
  code: string;
  type: string;
  category: string | null;
  township: string | null;
  village: string | null;
  channel: string;
  urgency: string;
  at: string;
}

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'unavailable';

const KEEP = 30;

/**
 * Listens to the server's live feed (server-sent events). The browser reconnects by itself after
 * a dropped connection; `count` grows with every event so that figures can be refreshed.
 */
export function useLiveFeed(enabled = true): { items: LiveCase[]; status: LiveStatus; count: number } {
  const [items, setItems] = useState<LiveCase[]>([]);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') {
      setStatus('unavailable');
      return;
    }
    const source = new EventSource('/api/live');
    source.onopen = () => setStatus('open');
    source.onerror = () =>
      setStatus(source.readyState === EventSource.CLOSED ? 'unavailable' : 'reconnecting');
    source.addEventListener('case', (e) => {
      try {
        const item = JSON.parse((e as MessageEvent<string>).data) as LiveCase;
        setItems((list) => [item, ...list].slice(0, KEEP));
        setCount((n) => n + 1);
      } catch {
        /* a malformed message is skipped */
      }
    });
    return () => source.close();
  }, [enabled]);
  return { items, status, count };
}
