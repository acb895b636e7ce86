/**
 * The heartbeat monitor, run from the worker tick of every app process: a device silent for more
 * than three heartbeat intervals raises one "设备离线" event; alarms left unfinished are finished;
 * old nonces and refusals are pruned.
 */
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import type { AlarmRow, DeviceRow } from './devices.repository.ts';
import { chinaTime, finishUnsettledAlarms, raiseSystemAlarm, settleAlarm } from './ingest.service.ts';
import { OFFLINE } from './rules.ts';
import { TIME_WINDOW_MS } from './signing.ts';

/** A device is offline after this many heartbeat intervals without a message. */
export const MISSED_HEARTBEATS = 3;
/** Refused messages are kept this long for admins to look into. */
const REJECTIONS_KEPT_MS = 90 * 24 * 3600_000;

/**
 * Finds active devices whose last message is older than 3× their heartbeat interval and claims
 * each with a conditional update (`offline_at is null` → now) that stores its offline alarm in the
 * same transaction; then settles the alarms — a new event, or folded into the device's offline
 * event that is still open. However many processes run this at once, a device goes offline once.
 * Devices never heard from are not watched (they have no last heartbeat to miss).
 */
export async function raiseOfflineEvents(ctx: AppContext, limit = 100): Promise<number> {
  const now = ctx.clock.now();
  const claimed = await ctx.database.transaction(async (trx) => {
    const silent = sql<boolean>`last_seen_at + make_interval(secs => ${MISSED_HEARTBEATS} * heartbeat_interval_s) < ${now}`;
    const devices = await trx
      .updateTable('iot_devices')
      .set({ offline_at: now })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('iot_devices')
          .select('id')
          .where('status', '=', 'active')
          .where('offline_at', 'is', null)
          .where('last_seen_at', 'is not', null)
          .where(silent)
          .orderBy('last_seen_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      // Checked again on the locked row: another monitor (or a heartbeat) may have come first.
      .where('status', '=', 'active')
      .where('offline_at', 'is', null)
      .where(silent)
      .returningAll()
      .execute();
    const out: { device: DeviceRow; alarm: AlarmRow }[] = [];
    for (const device of devices) {
      const alarm = await raiseSystemAlarm(ctx, trx, device, {
        kind: 'alarm',
        alarmType: OFFLINE,
        nonce: `offline:${now.getTime()}`,
        message: `超过 ${MISSED_HEARTBEATS * device.heartbeat_interval_s} 秒未收到设备消息（最后一次：${chinaTime(device.last_seen_at!)}）`,
        at: now,
      });
      out.push({ device, alarm });
    }
    return out;
  });
  for (const { device, alarm } of claimed) await settleAlarm(ctx, device, alarm);
  return claimed.length;
}

/** Removes nonces older than twice the time window (a replay that old is refused by its time). */
export async function pruneIotLogs(ctx: AppContext): Promise<void> {
  const now = ctx.clock.now().getTime();
  await ctx.database.db
    .deleteFrom('iot_nonces')
    .where('seen_at', '<', new Date(now - 2 * TIME_WINDOW_MS))
    .execute();
  await ctx.database.db
    .deleteFrom('iot_rejections')
    .where('received_at', '<', new Date(now - REJECTIONS_KEPT_MS))
    .execute();
}

/**
 * The IoT part of the worker tick: heartbeat losses, unfinished alarms, pruning. Never throws — a
 * failure is logged and retried on the next tick, so it cannot hold up the other background work.
 */
export async function monitorDevices(ctx: AppContext): Promise<void> {
  try {
    await raiseOfflineEvents(ctx);
    await finishUnsettledAlarms(ctx);
    await pruneIotLogs(ctx);
  } catch (err) {
    ctx.log.warn({ err }, 'iot monitor failed; will retry');
  }
}
