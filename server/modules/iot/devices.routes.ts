import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import {
  createDevice,
  createRule,
  getDevice,
  listAlarmRules,
  listCaseAlarms,
  listDeviceAlarms,
  listDevices,
  listRejectionsFor,
  rotateSecret,
  updateDevice,
  updateRule,
} from './devices.service.ts';
import {
  AlarmSchema,
  DevicePatchBody,
  DeviceQuery,
  DeviceSchema,
  NewDeviceBody,
  NewRuleBody,
  RejectionSchema,
  RotateBody,
  RulePatchBody,
  RuleSchema,
} from './iot.schemas.ts';

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
};
const Secret = Type.String({
  description: 'The device’s signing secret — shown only in this answer; store it in the device',
});

/** The device registry, the alarm rules and the alarm history, for staff. */
export function registerDeviceRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/devices',
    {
      config: { access: { who: 'staff', permission: 'device.read' } },
      schema: {
        summary: 'IoT devices and cameras',
        description:
          'Devices placed in my jurisdiction, and — for a department — the devices it looks after wherever ' +
          'they stand. Filters: type, status, connectivity (online, offline, unknown = never heard from), ' +
          'owner unit, a township/village/grid code, text in code or name.',
        tags: ['iot'],
        querystring: DeviceQuery,
        response: {
          200: Type.Object({ items: Type.Array(DeviceSchema), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) =>
      listDevices(ctx, staffOf(req), {
        ...req.query,
        limit: req.query.limit ?? 50,
        offset: req.query.offset ?? 0,
      }),
  );

  app.post(
    '/api/devices',
    {
      config: { access: { who: 'staff', permission: 'device.manage' } },
      schema: {
        summary: 'Register a device',
        description:
          'Registers a device or camera at a position inside my jurisdiction (placed in its grid and village as ' +
          'cases are; `villageId` when it lies in no grid), looked after by a department, township or village. ' +
          'Answers its signing secret once — store it in the device. The county’s default alarm rules are loaded ' +
          'with its first device. 409 DUPLICATE when the code is taken.',
        tags: ['iot'],
        body: NewDeviceBody,
        response: {
          201: Type.Object({ device: DeviceSchema, secret: Secret }),
          ...STAFF_ERRORS,
          ...errors(409),
        },
      },
    },
    async (req, reply) => {
      const body = await createDevice(ctx, staffOf(req), req.body, metaOf(req));
      return reply.status(201).send(body);
    },
  );

  app.get(
    '/api/devices/rules',
    {
      config: { access: { who: 'staff', permission: 'device.read' } },
      schema: {
        summary: 'Alarm rules',
        description:
          'How alarms become cases: device type + alarm type + lowest level → category, urgency, case type, and ' +
          'whether a recovery closes the case. The rule with the highest level not above the alarm’s applies.',
        tags: ['iot'],
        response: {
          200: Type.Object({ items: Type.Array(RuleSchema), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listAlarmRules(ctx, staffOf(req)),
  );

  app.post(
    '/api/devices/rules',
    {
      config: { access: { who: 'staff', permission: 'device.manage' } },
      schema: {
        summary: 'Add an alarm rule',
        description:
          'Adds a rule for a device type, alarm type and lowest level (default 1). The category must be active and ' +
          'take events. 409 DUPLICATE when that device type, alarm type and level already have a rule. Audited.',
        tags: ['iot'],
        body: NewRuleBody,
        response: { 201: Type.Object({ rule: RuleSchema }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    async (req, reply) => {
      const body = await createRule(ctx, staffOf(req), req.body, metaOf(req));
      return reply.status(201).send(body);
    },
  );

  app.patch(
    '/api/devices/rules/:id',
    {
      config: { access: { who: 'staff', permission: 'device.manage' } },
      schema: {
        summary: 'Change an alarm rule',
        description:
          'Label, category, urgency, whether a recovery closes, active. Alarms from now on follow it; an open case ' +
          'keeps the rule it was opened with. Send the version you read (409 CONFLICT otherwise). Audited.',
        tags: ['iot'],
        params: Id,
        body: RulePatchBody,
        response: { 200: Type.Object({ rule: RuleSchema }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => updateRule(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );

  app.get(
    '/api/devices/:id',
    {
      config: { access: { who: 'staff', permission: 'device.read' } },
      schema: {
        summary: 'One device',
        description:
          'A device with its place, owner, heartbeat interval, last message and connectivity (never its secret), ' +
          'and whether I may manage it. 404 outside what I may see.',
        tags: ['iot'],
        params: Id,
        response: {
          200: Type.Object({ device: DeviceSchema, abilities: Type.Object({ manage: Type.Boolean() }) }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => getDevice(ctx, staffOf(req), req.params.id),
  );

  app.patch(
    '/api/devices/:id',
    {
      config: { access: { who: 'staff', permission: 'device.manage' } },
      schema: {
        summary: 'Change or deactivate a device',
        description:
          'Name, position (placed again; must stay in my jurisdiction), owner, heartbeat interval, status — ' +
          '`inactive` deactivates the device: its messages are refused and the heartbeat monitor ignores it. ' +
          'Send the version you read (409 CONFLICT otherwise). 404 outside my jurisdiction. Audited.',
        tags: ['iot'],
        params: Id,
        body: DevicePatchBody,
        response: { 200: Type.Object({ device: DeviceSchema }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => updateDevice(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );

  app.post(
    '/api/devices/:id/rotate-secret',
    {
      config: { access: { who: 'staff', permission: 'device.manage' } },
      schema: {
        summary: 'Give a device a new secret',
        description:
          'Answers the new signing secret once. The old secret still signs for `keepPreviousMinutes` (default 60, ' +
          '0 = at once invalid) so the device can be reconfigured without losing alarms. Audited.',
        tags: ['iot'],
        params: Id,
        body: RotateBody,
        response: {
          200: Type.Object({
            device: DeviceSchema,
            secret: Secret,
            previousValidUntil: Type.Union([Type.String(), Type.Null()]),
          }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => rotateSecret(ctx, staffOf(req), req.params.id, req.body ?? {}, metaOf(req)),
  );

  app.get(
    '/api/devices/:id/alarms',
    {
      config: { access: { who: 'staff', permission: 'device.read' } },
      schema: {
        summary: 'A device’s alarms',
        description:
          'Every alarm and recovery the device sent (and the monitor raised for it), newest first, with what ' +
          'became of each: opened a case, folded into the open one, closed it, recorded, or ignored (no rule).',
        tags: ['iot'],
        params: Id,
        querystring: Type.Object(Page, { additionalProperties: false }),
        response: {
          200: Type.Object({ items: Type.Array(AlarmSchema), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) =>
      listDeviceAlarms(ctx, staffOf(req), req.params.id, {
        limit: req.query.limit ?? 50,
        offset: req.query.offset ?? 0,
      }),
  );

  app.get(
    '/api/iot/cases/:id/alarms',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'The device alarms of a case',
        description:
          'The alarm that opened the case, the repeats folded into it (a flapping device makes one case, not many) ' +
          'and the recovery, oldest first — the IoT history beside the case timeline. 404 when I cannot see the case.',
        tags: ['iot'],
        params: Id,
        response: { 200: Type.Object({ items: Type.Array(AlarmSchema) }), ...STAFF_ERRORS },
      },
    },
    (req) => listCaseAlarms(ctx, staffOf(req), req.params.id),
  );

  app.get(
    '/api/iot/rejections',
    {
      config: { access: { who: 'staff', permission: 'device.manage' } },
      schema: {
        summary: 'Refused device messages',
        description:
          'Messages the server refused, newest first: unknown device, bad signature, deactivated device, replayed ' +
          'nonce, stale time, malformed, not a camera — for devices I may see and senders naming no registered ' +
          'device. Kept 90 days.',
        tags: ['iot'],
        querystring: Type.Object(
          {
            deviceId: Type.Optional(Type.String({ format: 'uuid' })),
            reason: Type.Optional(
              Type.Union([
                Type.Literal('unknown_device'),
                Type.Literal('inactive_device'),
                Type.Literal('bad_signature'),
                Type.Literal('replayed'),
                Type.Literal('stale'),
                Type.Literal('malformed'),
                Type.Literal('not_camera'),
              ]),
            ),
            ...Page,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(RejectionSchema), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) =>
      listRejectionsFor(ctx, staffOf(req), {
        deviceId: req.query.deviceId,
        reason: req.query.reason,
        limit: req.query.limit ?? 50,
        offset: req.query.offset ?? 0,
      }),
  );
}
