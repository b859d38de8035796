/**
 * How this runtime closes a `pg.Client`: `closeClient` ends it gracefully
 * within a bound, and `destroyClient` is the one way to kill one it gives up
 * on: destroy its socket. Never `client.end()` for that: `end()` marks the client as ending,
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
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection
    ?.stream;
  if (typeof stream?.destroy === 'function') {
    stream.destroy();
    return;
  }
  // Only stand-in clients without a socket get here (tests' fakes): end() is all they have.
  void Promise.resolve()
    .then(() => client.end())
    .catch(() => undefined);
}

/** Longest a graceful close may take before the socket is destroyed. */
export const CLOSE_TIMEOUT_MILLIS = 2_000;

/**
 * Ends a client; resolves when its socket closed, or after `timeoutMillis` with the socket destroyed.
 * Never rejects.
 */
export function closeClient(client: pg.Client, timeoutMillis = CLOSE_TIMEOUT_MILLIS): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      destroyClient(client);
      resolve();
    }, timeoutMillis);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    try {
      client.end().then(done, done);
    } catch {
      done();
    }
  });
}
