import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { STAFF_ERRORS } from '../../http/schemas.ts';
import { LiveHub } from './live.service.ts';

/** Seconds between keep-alive comments (proxies close quiet connections after ~60 s). */
const HEARTBEAT_MS = 25_000;

/** The command centre's live feed of new and closed cases (server-sent events). */
export function registerLiveRoutes(app: App, ctx: AppContext): LiveHub {
  const hub = new LiveHub(ctx);
  app.addHook('preClose', async () => hub.endStreams());
  app.addHook('onClose', () => hub.close());

  app.get(
    '/api/live',
    {
      config: { access: { who: 'staff', permission: 'assessment.read' } },
      schema: {
        summary: 'Live feed of new and closed cases (server-sent events)',
        description:
          'A `text/event-stream`: `event: case` with `{ kind: received|closed, code, type, category, township, village, channel, urgency, at }` for every case in my jurisdiction as its transaction commits (PostgreSQL LISTEN/NOTIFY, so every app process sees every case). ' +
          'A comment line every 25 s keeps the connection open; the browser reconnects by itself (`retry: 5000`). Nothing the citizen wrote and no contact is ever sent.',
        tags: ['assessment'],
        response: {
          200: {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...STAFF_ERRORS,
        },
      },
    },
    async (req, reply) => {
      const actor = staffOf(req);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
        'x-request-id': String(req.id),
        connection: 'keep-alive',
      });
      res.write('retry: 5000\n: connected\n\n');
      const unsubscribe = await hub.subscribe(
        actor,
        (m) => res.write(`event: case\ndata: ${JSON.stringify(m)}\n\n`),
        () => res.end(),
      );
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
      };
      req.raw.on('close', end);
      res.on('error', end);
    },
  );
  return hub;
}
