import type { AppContext } from '../../context.ts';
import type { App } from '../../http/app.ts';
import { registerDeviceRoutes } from './devices.routes.ts';
import { registerIngestRoutes } from './ingest.routes.ts';

/** IoT alarms and camera events: the staff registry and rules, and the signed device endpoints. */
export function registerIotRoutes(app: App, ctx: AppContext): void {
  registerDeviceRoutes(app, ctx);
  registerIngestRoutes(app, ctx);
}
