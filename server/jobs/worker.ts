import type { AppContext } from '../context.ts';
import { deliverOutbox } from '../engine/notify.ts';
import { sweepOverdue, sweepWarnings } from '../engine/sweep.ts';
import { forgetEndedRateLimits } from '../http/rate-limit-store.ts';
import { sweepOrphanUploads } from '../modules/attachments/attachments.service.ts';
import { monitorDevices } from '../modules/iot/heartbeat.ts';
import { applyRetention } from '../modules/privacy/retention.ts';
import { deliverWebhooks } from '../modules/webhooks/webhooks.delivery.ts';

/**
 * Background work of an app process: the deadline sweep (warnings, overdue, escalation) and the SMS
 * outbox. Every step claims rows in the database, so any number of processes may run it.
 */
export function startWorker(ctx: AppContext, opts: { intervalMs?: number } = {}): { stop(): Promise<void> } {
  const interval = opts.intervalMs ?? Number(process.env.SWEEP_INTERVAL_MS ?? 5000);
  let running: Promise<void> | null = null;
  let stopped = false;
  // Retention walks an index of closed cases: once an hour is plenty (periods are counted in days);
  // the shared rate-limit counters of windows long ended go at the same time.
  let retentionAt = 0;
  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        await sweepWarnings(ctx);
        await sweepOverdue(ctx);
        await deliverOutbox(ctx);
        await monitorDevices(ctx);
        await deliverWebhooks(ctx);
        await sweepOrphanUploads(ctx);
        if (Date.now() - retentionAt >= 3_600_000) {
          retentionAt = Date.now();
          const r = await applyRetention(ctx);
          if (r.cases || r.citizens)
            ctx.log.info({ retention: r }, 'personal data past its retention period removed');
          await forgetEndedRateLimits(ctx.database.db);
        }
      } catch (err) {
        ctx.log.warn({ err }, 'background sweep failed; will retry');
      } finally {
        running = null;
      }
    })();
  };
  const timer = setInterval(tick, interval);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
