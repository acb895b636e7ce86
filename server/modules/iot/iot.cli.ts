/**
 * CLI commands of the IoT module: `gongzhi simulate iot` (drive the demo devices over MQTT) and
 * `gongzhi device add|list` (the registry without the web UI).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { IotDeviceType } from '../../db/schema.ts';
import { loadConfig } from '../../lib/config.ts';
import { loadFieldCipher } from '../../lib/crypto.ts';
import { createDevice } from './devices.service.ts';
import { demoSimDevices } from './iot.demo.ts';
import { DEVICE_TYPE_LABELS, DEVICE_TYPES } from './rules.ts';
import { simulateIot } from './simulator.ts';

type WithContext = <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;

function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`须为 ${min}–${max} 的整数 / an integer from ${min} to ${max}: ${v}`);
    return n;
  };
}

function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`不是数字 / not a number: ${v}`);
  return n;
}

/** Adds `simulate iot` and `device add|list` to the program. */
export function registerIotCommands(program: Command, withContext: WithContext): void {
  const simulate = program.command('simulate').description('模拟数据源 / simulators');
  simulate
    .command('iot')
    .description(
      '以演示县的演示设备向 MQTT 发送心跳与报警（签名正确）/ drive the demo devices over MQTT: heartbeats, alarms, recoveries',
    )
    .option(
      '--count <n>',
      '轮数，0 表示一直运行直到 Ctrl-C / rounds; 0 runs until interrupted',
      int(0, 1_000_000),
      0,
    )
    .option('--interval <ms>', '每轮间隔毫秒 / milliseconds between rounds', int(100, 3_600_000), 5000)
    .option('--mqtt-url <url>', 'MQTT 服务器 / broker (default MQTT_URL or mqtt://127.0.0.1:1883)')
    .option(
      '--alarm-chance <p>',
      '每台设备每轮报警的概率 / chance of an alarm per device and round',
      num,
      0.05,
    )
    .action(async (o: { count: number; interval: number; mqttUrl?: string; alarmChance: number }) => {
      // No database: the simulator is a device, and on PGlite the server holds the data folder.
      const config = loadConfig();
      const cipher = loadFieldCipher({ secret: config.secret, dataDir: config.dataDir });
      const url = o.mqttUrl ?? config.mqttUrl ?? 'mqtt://127.0.0.1:1883';
      const devices = demoSimDevices(cipher, config.countyCode);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      console.log(
        `模拟 ${devices.length} 台演示设备 / simulating ${devices.length} demo devices → ${url} ` +
          `(${config.mqttTopicPrefix}/${config.countyCode}/devices/…)`,
      );
      const r = await simulateIot({
        url,
        prefix: config.mqttTopicPrefix,
        countyCode: config.countyCode,
        devices,
        rounds: o.count,
        intervalMs: o.interval,
        alarmChance: o.alarmChance,
        signal: abort.signal,
        log: (line) => console.log(line),
      });
      console.log(
        `完成 / done: ${r.rounds} 轮 rounds, ${r.heartbeats} 心跳 heartbeats, ${r.alarms} 报警 alarms, ` +
          `${r.recoveries} 恢复 recoveries`,
      );
    });

  const device = program.command('device').description('物联网设备登记 / IoT device registry');
  device
    .command('add')
    .description(
      '登记设备，打印其签名密钥（只显示这一次）/ register a device and print its secret (shown once)',
    )
    .requiredOption('--code <code>', '设备编号 / device code')
    .requiredOption('--type <type>', `类型 / type: ${DEVICE_TYPES.join(', ')}`, (v) => {
      if (!(DEVICE_TYPES as readonly string[]).includes(v))
        throw new InvalidArgumentError(`未知类型 unknown type: ${v}`);
      return v;
    })
    .requiredOption('--name <name>', '名称 / name')
    .requiredOption('--lon <lon>', '经度 / longitude', num)
    .requiredOption('--lat <lat>', '纬度 / latitude', num)
    .requiredOption('--owner <org>', '维护单位编码 / owning unit code')
    .option('--village <code>', '位置不在任何网格时所属村（社区）/ village when the position is in no grid')
    .option('--interval <seconds>', '心跳间隔秒 / heartbeat interval', int(10, 86400), 300)
    .action(
      async (o: {
        code: string;
        type: string;
        name: string;
        lon: number;
        lat: number;
        owner: string;
        village?: string;
        interval: number;
      }) => {
        await withContext(async (ctx) => {
          const r = await createDevice(ctx, systemActor(ctx.config.countyCode), {
            code: o.code,
            type: o.type as IotDeviceType,
            name: o.name,
            lon: o.lon,
            lat: o.lat,
            ownerOrgId: o.owner,
            ...(o.village ? { villageId: o.village } : {}),
            heartbeatIntervalS: o.interval,
          });
          console.log(
            `已登记 / registered ${r.device.code} (${r.device.id})，网格 grid ${r.device.gridId ?? '—'}`,
          );
          console.log(`签名密钥 / secret (只显示这一次 / shown once): ${r.secret}`);
        });
      },
    );
  device
    .command('list')
    .description('列出本县设备 / list the county’s devices')
    .action(async () => {
      await withContext(async (ctx) => {
        const rows = await ctx.database.db
          .selectFrom('iot_devices')
          .select(['code', 'type', 'name', 'status', 'grid_id', 'last_seen_at', 'offline_at'])
          .where('county_code', '=', ctx.config.countyCode)
          .orderBy('code')
          .execute();
        for (const d of rows) {
          const state =
            d.status === 'inactive'
              ? '停用 inactive'
              : d.offline_at
                ? '离线 offline'
                : d.last_seen_at
                  ? '在线 online'
                  : '未上线 unknown';
          console.log(
            `${d.code.padEnd(16)} ${DEVICE_TYPE_LABELS[d.type].padEnd(8, '　')} ${state.padEnd(14)} ${(d.grid_id ?? '—').padEnd(16)} ${d.name}`,
          );
        }
        console.log(`共 ${rows.length} 台 / ${rows.length} devices`);
      });
    });
}
