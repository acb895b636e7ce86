import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import type { App } from '../../http/app.ts';
import { errors } from '../../http/schemas.ts';
import { listNotifications, markAllRead, markRead } from './notifications.service.ts';

const NotificationSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: 'new_work, received, replied, overdue, …' }),
  title: Type.String(),
  body: Type.String(),
  caseId: Type.Union([Type.String(), Type.Null()]),
  recipient: Type.Object({
    kind: Type.Union([Type.Literal('user'), Type.Literal('org'), Type.Literal('citizen')]),
    id: Type.String(),
  }),
  createdAt: Type.String(),
  readAt: Type.Union([Type.String(), Type.Null()]),
});

/** The in-app inbox of staff (their own, their unit’s, the county centre’s) and of citizens. */
export function registerNotificationRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/notifications',
    {
      config: { access: { who: 'signed_in' } },
      schema: {
        summary: 'My notifications',
        description:
          'In-app notifications addressed to me, to the unit I act for and — for supervisors and county ' +
          'dispatchers — to the county centre; a citizen sees their own. Newest first.',
        tags: ['notifications'],
        querystring: Type.Object(
          {
            unread: Type.Optional(Type.Boolean({ description: 'Only unread ones' })),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            offset: Type.Integer({ minimum: 0, maximum: 100000, default: 0 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(NotificationSchema),
            total: Type.Integer({ description: 'Matching the filter' }),
            unread: Type.Integer({ description: 'All unread, whatever the filter' }),
          }),
          ...errors(400, 401),
        },
      },
    },
    (req) => listNotifications(ctx, req.actor, req.query),
  );

  app.post(
    '/api/notifications/:id/read',
    {
      config: { access: { who: 'signed_in' } },
      schema: {
        summary: 'Mark a notification read',
        description:
          'Only a notification addressed to me (404 otherwise, and it stays unread). Reading it again keeps the ' +
          'first time. A unit’s notification is read for the whole unit.',
        tags: ['notifications'],
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }) }),
        response: { 200: Type.Object({ notification: NotificationSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    (req) => markRead(ctx, req.actor, req.params.id),
  );

  app.post(
    '/api/notifications/read-all',
    {
      config: { access: { who: 'signed_in' } },
      schema: {
        summary: 'Mark all my notifications read',
        description: 'Marks every unread in-app notification addressed to me read; answers how many.',
        tags: ['notifications'],
        response: { 200: Type.Object({ updated: Type.Integer() }), ...errors(400, 401, 403) },
      },
    },
    (req) => markAllRead(ctx, req.actor),
  );
}
