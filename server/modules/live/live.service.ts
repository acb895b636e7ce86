import type { StaffActor } from '../../authz/actor.ts';
import { pathInScope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import { LIVE_CHANNEL, type LiveEvent } from '../../engine/live.ts';

/** What a dashboard receives about a case: names, not ids of people; nothing the citizen wrote. */
export interface LiveMessage {
  kind: LiveEvent['kind'];
  code: string;
  type: string;
  category: string | null;
  township: string | null;
  village: string | null;
  channel: string;
  urgency: string;
  at: string;
}

interface Subscriber {
  actor: StaffActor;
  send(message: LiveMessage): void;
  /** Ends the connection (server shutdown). */
  end(): void;
}

/**
 * One LISTEN per app process, fanned out to the dashboards connected to it, each seeing only
 * cases in its jurisdiction. Names are looked up once and kept (categories and units change rarely).
 */
export class LiveHub {
  private readonly subscribers = new Set<Subscriber>();
  private stop: (() => Promise<void>) | null = null;
  private starting: Promise<void> | null = null;
  private readonly names = new Map<string, string>();

  constructor(private readonly ctx: AppContext) {}

  get size(): number {
    return this.subscribers.size;
  }

  async subscribe(actor: StaffActor, send: (m: LiveMessage) => void, end: () => void): Promise<() => void> {
    const sub = { actor, send, end };
    this.subscribers.add(sub);
    this.starting ??= this.ctx.database
      .listen(LIVE_CHANNEL, (payload) => void this.dispatch(payload))
      .then((stop) => {
        this.stop = stop;
      });
    await this.starting;
    return () => this.subscribers.delete(sub);
  }

  /** Ends every open stream, so that shutdown does not wait for dashboards to go away. */
  endStreams(): void {
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
  }

  async close(): Promise<void> {
    this.endStreams();
    await this.starting?.catch(() => undefined);
    await this.stop?.();
    this.stop = null;
    this.starting = null;
  }

  private async dispatch(payload: string): Promise<void> {
    let event: LiveEvent;
    try {
      event = JSON.parse(payload) as LiveEvent;
    } catch {
      return;
    }
    const audience = [...this.subscribers].filter((s) =>
      pathInScope(scopeOf(s.actor), event.countyCode, event.path),
    );
    if (audience.length === 0) return;
    const message = await this.present(event);
    for (const s of audience) {
      try {
        s.send(message);
      } catch {
        this.subscribers.delete(s);
      }
    }
  }

  private async present(e: LiveEvent): Promise<LiveMessage> {
    const [category, township, village] = await Promise.all([
      this.name('categories', e.categoryId),
      this.name('org_units', e.townshipId),
      this.name('org_units', e.villageId),
    ]);
    return {
      kind: e.kind,
      code: e.code,
      type: e.type,
      category,
      township,
      village,
      channel: e.channel,
      urgency: e.urgency,
      at: e.at,
    };
  }

  private async name(table: 'categories' | 'org_units', id: string | null): Promise<string | null> {
    if (!id) return null;
    const key = `${table}:${id}`;
    const known = this.names.get(key);
    if (known !== undefined) return known;
    const row = await this.ctx.database.db
      .selectFrom(table)
      .select('name')
      .where('id', '=', id)
      .executeTakeFirst()
      .catch(() => undefined);
    if (row) this.names.set(key, row.name);
    return row?.name ?? null;
  }
}
