import pino, { type Logger } from 'pino';

/** Structured JSON logs (pino); request ids are added by Fastify per request. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'gongzhi' },
    redact: {
      paths: ['req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
      remove: true,
    },
  });
}
