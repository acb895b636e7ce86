/**
 * Device types and the default alarm rules (alarm type and level → category and urgency) for the
 * category taxonomy (`categories/taxonomy.ts`). Admins edit a county's rules through
 * `/api/devices/rules`; these are only what a county starts with.
 */
import type { IotDeviceType, Urgency } from '../../db/schema.ts';

export const DEVICE_TYPES = [
  'smart_toilet',
  'environment_sensor',
  'gas_sensor',
  'smoke_sensor',
  'water_level',
  'manhole_cover',
  'camera',
] as const satisfies readonly IotDeviceType[];

/** Chinese names of the device types (the UI translates by code). */
export const DEVICE_TYPE_LABELS = {
  smart_toilet: '智慧公厕',
  environment_sensor: '环境监测传感器',
  gas_sensor: '燃气报警器',
  smoke_sensor: '烟感报警器',
  water_level: '水位监测仪',
  manhole_cover: '智能井盖',
  camera: 'AI 摄像头',
} as const satisfies Record<IotDeviceType, string>;

/** The alarm type the heartbeat monitor raises when a device goes silent. */
export const OFFLINE = 'offline';

export interface RuleSeed {
  deviceType: IotDeviceType;
  alarmType: string;
  label: string;
  minLevel: number;
  categoryId: string;
  urgency: Urgency;
  recoveryCloses: boolean;
}

const r = (
  deviceType: IotDeviceType,
  alarmType: string,
  label: string,
  minLevel: number,
  categoryId: string,
  urgency: Urgency,
  recoveryCloses: boolean,
): RuleSeed => ({ deviceType, alarmType, label, minLevel, categoryId, urgency, recoveryCloses });

/**
 * Defaults. Levels run 1 (notice) to 5 (critical); a second rule at a higher level raises the
 * urgency. Readings that come back to normal (ammonia, dust, a refilled dispenser, a device back
 * online) close their case on recovery; hazards that people must check (smoke, gas, a displaced
 * manhole cover, high water) stay open until a handler closes them.
 */
export const DEFAULT_RULES: readonly RuleSeed[] = Object.freeze([
  r('smart_toilet', 'ammonia', '公厕氨气浓度超标', 2, 'SR02', 'normal', true),
  r('smart_toilet', 'ammonia', '公厕氨气浓度严重超标', 4, 'SR02', 'urgent', true),
  r('smart_toilet', 'paper_out', '公厕厕纸用尽', 1, 'SR02', 'normal', true),
  r('smart_toilet', 'water_leak', '公厕漏水', 1, 'SR02', 'urgent', false),
  r('smart_toilet', 'fault', '公厕设施故障', 1, 'SR02', 'normal', false),
  r('smart_toilet', OFFLINE, '公厕设备离线', 1, 'SR02', 'normal', true),
  r('environment_sensor', 'pm25', 'PM2.5 超标', 2, 'ST01', 'normal', true),
  r('environment_sensor', 'pm25', 'PM2.5 严重超标', 4, 'ST01', 'urgent', true),
  r('environment_sensor', 'dust', '扬尘超标', 2, 'ST07', 'normal', true),
  r('environment_sensor', 'noise', '噪声超标', 2, 'ST03', 'normal', true),
  r('environment_sensor', OFFLINE, '环境监测设备离线', 1, 'ST01', 'normal', true),
  r('smoke_sensor', 'smoke', '烟雾报警', 1, 'GA03', 'emergency', false),
  r('smoke_sensor', 'low_battery', '烟感电量低', 1, 'GA02', 'normal', true),
  r('smoke_sensor', OFFLINE, '烟感设备离线', 1, 'GA02', 'normal', true),
  r('gas_sensor', 'gas_leak', '燃气泄漏报警', 1, 'SD06', 'emergency', false),
  r('gas_sensor', OFFLINE, '燃气报警器离线', 1, 'QT04', 'normal', true),
  r('water_level', 'high_water', '水位超警戒', 2, 'GA07', 'urgent', false),
  r('water_level', 'high_water', '水位超保证', 4, 'GA07', 'emergency', false),
  r('water_level', OFFLINE, '水位监测设备离线', 1, 'NY01', 'normal', true),
  r('manhole_cover', 'displaced', '井盖移位或丢失', 1, 'JT08', 'emergency', false),
  r('manhole_cover', 'overflow', '井口冒溢', 1, 'JT08', 'urgent', true),
  r('manhole_cover', OFFLINE, '智能井盖离线', 1, 'JT08', 'normal', true),
  r('camera', 'street_occupation', '占道经营', 1, 'SR03', 'normal', false),
  r('camera', 'overflowing_bin', '垃圾桶满溢', 1, 'SR01', 'urgent', false),
  r('camera', 'illegal_parking', '违法停车', 1, 'JT04', 'normal', false),
  r('camera', 'garbage_dumping', '乱堆乱放', 1, 'SR07', 'normal', false),
  r('camera', 'fire_smoke', '烟火识别', 1, 'GA02', 'emergency', false),
  r('camera', OFFLINE, '摄像头离线', 1, 'QT04', 'normal', true),
]);

/** When a county has no offline rule for a device type: an "other" event, closed on recovery. */
export const OFFLINE_FALLBACK = {
  label: '设备离线',
  categoryId: 'QT04',
  urgency: 'normal' as Urgency,
  recoveryCloses: true,
};

/** A rule as the matcher needs it. */
export interface RuleLike {
  id: string;
  min_level: number;
  active: boolean;
}

/**
 * The rule for an alarm of this level: among the active rules of the device type and alarm type,
 * the one with the highest min_level not above the level (a missing level counts as 1).
 */
export function pickRule<R extends RuleLike>(
  rules: readonly R[],
  level: number | null | undefined,
): R | undefined {
  const l = level ?? 1;
  return rules.filter((x) => x.active && x.min_level <= l).sort((a, b) => b.min_level - a.min_level)[0];
}
