import type { AppContext } from '../context.ts';
import { deliverOutbox } from '../engine/notify.ts';
import { sweepOverdue, sweepWarnings } from '../engine/sweep.ts';

/**
 * Background work of an app process: the deadline sweep (warnings, overdue, escalation) and the SMS
 * outbox. Every step claims rows in the database, so any number of processes may run it.
 */
export function startWorker(ctx: AppContext, opts: { intervalMs?: number } = {}): { stop(): Promise<void> } {
  const interval = opts.intervalMs ?? Number(process.env.SWEEP_INTERVAL_MS ?? 5000);
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        await sweepWarnings(ctx);
        await sweepOverdue(ctx);
        await deliverOutbox(ctx);
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
