/**
 * The MQTT bridge: subscribes to the county's device topics on the broker (`MQTT_URL`) and hands
 * each message to the ingest pipeline.
 *
 * Several app processes may run it at once: they subscribe as one MQTT shared subscription
 * (`$share/gongzhi/…`), so the broker gives each message to one of them; and the pipeline is
 * idempotent in the database (nonce and alarm unique per device, cases keyed by alarm), so a
 * redelivery never makes a second case. A QoS 1 message is acknowledged only after it was handled.
 */
import { hostname } from 'node:os';
import type { IPublishPacket } from 'mqtt';
import type { AppContext } from '../../context.ts';
import { ingestMqtt, type MqttOutcome } from './ingest.service.ts';

/** The shared-subscription group of all app processes. */
export const SHARE_GROUP = 'gongzhi';

export interface MqttBridge {
  /** Resolves once the subscription is in place (rejects if the first connection fails). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface BridgeOptions {
  url?: string | undefined;
  prefix?: string | undefined;
  countyCode?: string | undefined;
  /** Called after each message was handled (tests wait on it; the log already has refusals). */
  onHandled?: ((e: { topic: string; outcome: MqttOutcome }) => void) | undefined;
}

/** The subscription filter: every device message of the county, shared among app processes. */
export function subscriptionFilter(prefix: string, countyCode: string): string {
  return `$share/${SHARE_GROUP}/${prefix}/${countyCode}/devices/+/+`;
}

/**
 * Connects to the broker and starts handing device messages to the pipeline. The MQTT client
 * library is loaded here, not at start, so a server without `MQTT_URL` never holds it in memory.
 */
export async function startMqttBridge(ctx: AppContext, opts: BridgeOptions = {}): Promise<MqttBridge> {
  const url = opts.url ?? ctx.config.mqttUrl;
  if (!url) throw new Error('MQTT_URL is not set');
  const { connect } = await import('mqtt');
  const prefix = opts.prefix ?? ctx.config.mqttTopicPrefix;
  const countyCode = opts.countyCode ?? ctx.config.countyCode;
  const filter = subscriptionFilter(prefix, countyCode);
  const client = connect(url, {
    protocolVersion: 5,
    clientId: `gongzhi-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    // Subscribed on every (re)connection below.
    resubscribe: false,
  });
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that never awaits `ready` must not crash the process on a failed first connection.
  ready.catch(() => {});

  const handle = async (packet: IPublishPacket) => {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    try {
      const outcome = await ingestMqtt(ctx, { topic: packet.topic, payload, prefix, countyCode });
      opts.onHandled?.({ topic: packet.topic, outcome });
    } catch (err) {
      // The database may be down: what was stored is finished later by the monitor; log the rest.
      ctx.log.error({ err, topic: packet.topic }, 'iot message could not be handled');
    }
  };
  // Acknowledge (PUBACK) only after the message was handled; one at a time per connection.
  let running: Promise<void> | undefined;
  client.handleMessage = (packet, done) => {
    running = handle(packet).finally(() => {
      running = undefined;
      done();
    });
  };
  client.on('connect', () => {
    client.subscribe(filter, { qos: 1 }, (err) => {
      if (err) {
        ctx.log.error({ err, filter }, 'mqtt subscribe failed');
        settle?.reject(err);
      } else {
        ctx.log.info({ url: redact(url), filter }, 'mqtt bridge subscribed');
        settle?.resolve();
      }
    });
  });
  client.on('error', (err) => {
    ctx.log.warn({ err: err.message, url: redact(url) }, 'mqtt bridge error');
  });
  client.on('offline', () => ctx.log.warn({ url: redact(url) }, 'mqtt broker unreachable; retrying'));
  return {
    ready,
    async stop() {
      settle?.reject(new Error('stopped'));
      // Let the message in hand finish before the database closes behind it.
      await running;
      await client.endAsync();
    },
  };
}

/** A broker URL without its password, for the log. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
