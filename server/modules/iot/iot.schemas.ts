import { Type } from 'typebox';
import type { DEVICE_TYPES } from './rules.ts';
import { ALARM_TYPE_PATTERN, AT_PATTERN, DEVICE_CODE_PATTERN, NONCE_PATTERN } from './signing.ts';

export const DeviceType = Type.Union(
  [
    Type.Literal('smart_toilet'),
    Type.Literal('environment_sensor'),
    Type.Literal('gas_sensor'),
    Type.Literal('smoke_sensor'),
    Type.Literal('water_level'),
    Type.Literal('manhole_cover'),
    Type.Literal('camera'),
  ] satisfies { const: (typeof DEVICE_TYPES)[number] }[],
  {
    description:
      'smart_toilet 智慧公厕, environment_sensor, gas_sensor, smoke_sensor, water_level, manhole_cover, camera',
  },
);
export const DeviceCode = Type.String({
  pattern: DEVICE_CODE_PATTERN,
  description: 'The device’s own code (3–64 letters, digits, . _ -): its MQTT topic level and X-Device-Id',
});
export const AlarmType = Type.String({
  pattern: ALARM_TYPE_PATTERN,
  description: 'Lower-case words joined by _ (smoke, ammonia, pm25, street_occupation)',
});
export const Level = Type.Integer({ minimum: 1, maximum: 5, description: '1 notice … 5 critical' });
export const At = Type.String({
  pattern: AT_PATTERN,
  description: 'ISO 8601 with seconds and zone, e.g. 2026-11-30T08:00:00Z',
});
export const Nonce = Type.String({
  pattern: NONCE_PATTERN,
  description: '8–64 letters, digits, . _ -; never reused by the device',
});
/** String first: with type coercion on, a number branch first would turn "35.50" into 35.5. */
export const Reading = Type.Union([Type.String({ maxLength: 64 }), Type.Number()], {
  description: 'The reading; a number, or a string signed exactly as sent',
});
const OrgId = Type.String({ pattern: '^[0-9A-Z]{6,20}$' });
const Lon = Type.Number({
  minimum: 73,
  maximum: 136,
  description: 'Longitude (WGS-84 / GCJ-02 as the grids)',
});
const Lat = Type.Number({ minimum: 3, maximum: 54, description: 'Latitude' });
const Name = Type.String({ minLength: 1, maxLength: 60, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });

/** The payload of an MQTT message (topic …/alarm, …/recovery or …/heartbeat). */
export const MqttPayload = Type.Object(
  {
    alarmType: Type.Optional(AlarmType),
    level: Type.Optional(Level),
    value: Type.Optional(Reading),
    message: Type.Optional(Type.String({ maxLength: 500 })),
    at: At,
    nonce: Nonce,
    sig: Type.String({ minLength: 64, maxLength: 71 }),
  },
  { additionalProperties: false },
);

export const HttpAlarmBody = Type.Object(
  {
    kind: Type.Optional(
      Type.Union([Type.Literal('alarm'), Type.Literal('recovery'), Type.Literal('heartbeat')], {
        description: 'Default alarm',
      }),
    ),
    alarmType: Type.Optional(AlarmType),
    level: Type.Optional(Level),
    value: Type.Optional(Reading),
    message: Type.Optional(Type.String({ maxLength: 500 })),
    at: At,
    nonce: Nonce,
  },
  { additionalProperties: false },
);

export const CameraEventBody = Type.Object(
  {
    eventType: Type.String({
      pattern: ALARM_TYPE_PATTERN,
      description: 'street_occupation, overflowing_bin, illegal_parking, garbage_dumping, fire_smoke, …',
    }),
    at: At,
    nonce: Nonce,
    level: Type.Optional(Level),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    lon: Type.Optional(Lon),
    lat: Type.Optional(Lat),
    message: Type.Optional(Type.String({ maxLength: 500 })),
    snapshot: Type.Object(
      {
        data: Type.String({
          minLength: 4,
          maxLength: 11_000_000,
          description:
            'The image file (JPEG, PNG, WebP) in base64; re-encoded and stripped of EXIF on arrival',
        }),
        contentType: Type.Optional(
          Type.String({ maxLength: 40, description: 'Informative; the content decides' }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const IngestResult = Type.Object({
  outcome: Type.Union(
    [
      Type.Literal('heartbeat'),
      Type.Literal('received'),
      Type.Literal('opened'),
      Type.Literal('folded'),
      Type.Literal('recovered'),
      Type.Literal('closed'),
      Type.Literal('recorded'),
      Type.Literal('ignored'),
    ],
    {
      description:
        'heartbeat: noted; opened: a new case; folded: added to the open case; recovered: noted on the open ' +
        'case; closed: the recovery closed it; recorded: nothing open to act on; ignored: no rule applies; ' +
        'received: stored, finished shortly by the server',
    },
  ),
  alarmId: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  caseCode: Type.Union([Type.String(), Type.Null()], { description: 'The tracking code of the case' }),
});

export const CameraResult = Type.Object({
  ...IngestResult.properties,
  attachmentId: Type.String({ description: 'The stored snapshot' }),
});

export const DeviceSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  type: Type.String(),
  typeLabel: Type.String(),
  name: Type.String(),
  lon: Type.Number(),
  lat: Type.Number(),
  gridId: Type.Union([Type.String(), Type.Null()]),
  villageId: Type.Union([Type.String(), Type.Null()]),
  villageName: Type.Union([Type.String(), Type.Null()]),
  townshipId: Type.Union([Type.String(), Type.Null()]),
  ownerOrg: Type.Object({ id: Type.String(), name: Type.String() }),
  heartbeatIntervalS: Type.Integer(),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  offlineSince: Type.Union([Type.String(), Type.Null()]),
  connectivity: Type.Union(
    [Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown'), Type.Literal('inactive')],
    { description: 'unknown: never heard from; offline: the heartbeat monitor declared it silent' },
  ),
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
  secretRotatedUntil: Type.Union([Type.String(), Type.Null()], {
    description: 'Until when the previous secret is still accepted after a rotation',
  }),
  version: Type.Integer(),
  createdAt: Type.String(),
});

export const DeviceQuery = Type.Object(
  {
    type: Type.Optional(DeviceType),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
    connectivity: Type.Optional(
      Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')]),
    ),
    ownerOrgId: Type.Optional(OrgId),
    placeId: Type.Optional(
      Type.String({ pattern: '^[0-9]{9}([0-9]{3}){0,2}$', description: 'A township, village or grid code' }),
    ),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

export const NewDeviceBody = Type.Object(
  {
    code: DeviceCode,
    type: DeviceType,
    name: Name,
    lon: Lon,
    lat: Lat,
    villageId: Type.Optional(
      Type.String({ pattern: '^[0-9]{12}$', description: 'Used when the position lies in no grid' }),
    ),
    ownerOrgId: OrgId,
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 10, maximum: 86400, default: 300 })),
  },
  { additionalProperties: false },
);

export const DevicePatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    lon: Type.Optional(Lon),
    lat: Type.Optional(Lat),
    villageId: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
    ownerOrgId: Type.Optional(OrgId),
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 10, maximum: 86400 })),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('inactive')], {
        description: 'inactive: deactivated — its messages are refused and the monitor ignores it',
      }),
    ),
    version: Type.Integer({ minimum: 1, description: 'The version you read' }),
  },
  { additionalProperties: false },
);

export const RotateBody = Type.Object(
  {
    keepPreviousMinutes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10080,
        default: 60,
        description: 'How long the old secret still works (0: at once invalid)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AlarmSchema = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  deviceCode: Type.String(),
  deviceName: Type.String(),
  kind: Type.Union([Type.Literal('alarm'), Type.Literal('recovery')]),
  alarmType: Type.String(),
  level: Type.Union([Type.Integer(), Type.Null()]),
  value: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  deviceAt: Type.String(),
  receivedAt: Type.String(),
  via: Type.String({ description: 'mqtt, http, camera, or monitor (heartbeat loss and return)' }),
  outcome: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  caseCode: Type.Union([Type.String(), Type.Null()]),
  attachmentId: Type.Union([Type.String(), Type.Null()]),
});

export const RuleSchema = Type.Object({
  id: Type.String(),
  deviceType: Type.String(),
  alarmType: Type.String(),
  label: Type.String(),
  minLevel: Type.Integer(),
  categoryId: Type.String(),
  categoryName: Type.String(),
  caseType: Type.String(),
  urgency: Type.String(),
  recoveryCloses: Type.Boolean(),
  active: Type.Boolean(),
  version: Type.Integer(),
});

const Urgency = Type.Union([Type.Literal('normal'), Type.Literal('urgent'), Type.Literal('emergency')]);
const CategoryId = Type.String({ pattern: '^[A-Z]{2}[0-9]{2}$' });
const Label = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });

export const NewRuleBody = Type.Object(
  {
    deviceType: DeviceType,
    alarmType: AlarmType,
    label: Label,
    minLevel: Type.Optional(Level),
    categoryId: CategoryId,
    urgency: Urgency,
    recoveryCloses: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RulePatchBody = Type.Object(
  {
    label: Type.Optional(Label),
    categoryId: Type.Optional(CategoryId),
    urgency: Type.Optional(Urgency),
    recoveryCloses: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean()),
    version: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export const RejectionSchema = Type.Object({
  id: Type.Integer(),
  receivedAt: Type.String(),
  via: Type.String(),
  reason: Type.String({
    description: 'unknown_device, inactive_device, bad_signature, replayed, stale, malformed, not_camera',
  }),
  deviceCode: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
