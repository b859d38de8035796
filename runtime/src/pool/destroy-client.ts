/**
 * The one way this runtime kills a `pg.Client` it gives up on: destroy its
 * socket. Never `client.end()` for that: `end()` marks the client as ending,
 * and a client marked so never settles a `connect()` still in progress
 * (pg's `end` handler only reports "terminated" to a client that did not ask
 * to end), so whoever awaits that `connect()` waits forever. A destroyed
 * socket makes pg settle everything it holds: a pending `connect()` rejects
 * with "Connection terminated unexpectedly", queued queries reject, and the
 * client emits `error` (keep a listener on it).
 */
import type pg from 'pg';

/** Destroys the client's socket at once; works while connecting, during TLS and mid-query. Idempotent. */
export function destroyClient(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  if (typeof stream?.destroy === 'function') {
    stream.destroy();
    return;
  }
  // Only stand-in clients without a socket get here (tests' fakes): end() is all they have.
  void Promise.resolve().then(() => client.end()).catch(() => undefined);
}
