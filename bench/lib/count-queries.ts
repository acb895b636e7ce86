/**
 * Preloaded into a benchmark's server (`node --import …/count-queries.ts`): counts every statement
 * the process sends through `pg` (both engines: PGlite's adapter drives a `pg.Client` too),
 * including BEGIN and COMMIT, and answers the count over the IPC channel when asked
 * (`'queries?'`). Used to report statements per intake; not part of the server.
 */
import pg from 'pg';

let total = 0;
const byText = new Map<string, number>();
/** Milliseconds from sending each statement to its answer, by the same key (the engine's time). */
const msByText = new Map<string, number>();
const original = pg.Client.prototype.query;
// biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; we only pass them on.
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  total++;
  const text = typeof args[0] === 'string' ? args[0] : String(args[0]?.text ?? '?');
  // Identify a statement by its first words (the table it touches), not its values.
  const key = text.replace(/\s+/g, ' ').slice(0, 70);
  byText.set(key, (byText.get(key) ?? 0) + 1);
  const started = performance.now();
  const done = () => msByText.set(key, (msByText.get(key) ?? 0) + performance.now() - started);
  const r = (original as (...a: unknown[]) => unknown).apply(this, args);
  if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, done);
  return r;
};

process.on('message', (m) => {
  if (m === 'queries?')
    process.send?.({
      kind: 'queries',
      total,
      byText: Object.fromEntries(byText),
      msByText: Object.fromEntries(msByText),
    });
});
// The IPC channel must not keep a stopping server alive.
process.channel?.unref();
