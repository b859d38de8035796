/**
 * The pool's own connect, idle-test and drain paths against a link that goes
 * silent (TCP connects, nothing comes back): each settles within its bound —
 * the abandoned client's socket is destroyed, never `end()`ed, so no promise
 * stays pending — and the pool serves again once the link forwards.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { eventually } from '../support/health-fixture.js';
import { startSilentLink, type SilentLink } from '../support/silent-link.js';

/** Far beyond every bound the pool uses here: a promise still pending then is hanging. */
const HANG_GUARD_MILLIS = 20_000;

let link: SilentLink | undefined;
let pool: ClientAtsPool | undefined;
afterEach(async () => {
  await pool?.end({ drainMillis: 0 });
  await link?.close();
  pool = undefined;
  link = undefined;
});

async function startPool(silent: boolean, overrides: Record<string, string> = {}): Promise<ClientAtsPool> {
  const shared = new URL(inject('databaseUrl'));
  link = await startSilentLink(shared.hostname, Number(shared.port || '5432'), { silent });
  pool = createPool(
    loadSettings({
      DATABASE_URL: link.via(inject('databaseUrl')),
      POOL_SIZE: '1',
      POOL_TIMEOUT: '1500',
      POOL_CONNECT_TIMEOUT_MS: '300',
      ...overrides,
    }),
    { applicationName: 'pool-silent-link' },
  );
  return pool;
}

/** The outcome of `work`, or 'hung' after the guard. */
async function settle(
  work: Promise<unknown>,
): Promise<{ kind: 'fulfilled' | 'rejected' | 'hung'; error?: Error & { code?: string } }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<{ kind: 'hung' }>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), HANG_GUARD_MILLIS);
  });
  try {
    return await Promise.race([
      work.then(
        () => ({ kind: 'fulfilled' as const }),
        (error: Error & { code?: string }) => ({ kind: 'rejected' as const, error }),
      ),
      guard,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const serves = async (target: ClientAtsPool): Promise<boolean> =>
  (await settle(target.query('SELECT 1'))).kind === 'fulfilled';

describe('the pool behind a silent link', () => {
  it('settles connects cut short by POOL_CONNECT_TIMEOUT_MS and connects afresh once the link forwards', async () => {
    const target = await startPool(true);
    const outcome = await settle(target.query('SELECT 1'));
    expect(outcome.kind).toBe('rejected');
    expect(outcome.error?.code).toBe('POOL_TIMEOUT');
    expect(outcome.error?.message).toContain('timed out after 300 ms (POOL_CONNECT_TIMEOUT_MS)');
    // Abandoned attempts are not waited on: never more than one attempt in flight.
    expect(target.snapshot().pools[0]?.connecting).toBeLessThanOrEqual(1);
    link?.restore();
    expect(await eventually(() => serves(target), 100, 100)).toBe(true);
  });

  it(
    'settles the idle test of a connection whose link went silent, replaces it, ' +
      'and serves once the link forwards',
    async () => {
      const target = await startPool(false, { POOL_IDLE_CHECK_MS: '0' });
      await target.ready;
      link?.silence();
      await new Promise((resolve) => setTimeout(resolve, 5)); // idle longer than POOL_IDLE_CHECK_MS=0
      const outcome = await settle(target.query('SELECT 1'));
      expect(outcome.kind).toBe('rejected');
      expect(outcome.error?.code).toBe('POOL_TIMEOUT');
      link?.restore();
      expect(await eventually(() => serves(target), 100, 100)).toBe(true);
    },
  );

  it(
    'ends within its drain bound while a checked-out client waits on a silent link, ' +
      'closing every socket',
    async () => {
      const target = await startPool(false);
      await target.ready;
      const client = await target.connect();
      link?.silence();
      const inFlight = settle(client.query('SELECT 1'));
      expect((await settle(target.end({ drainMillis: 200 }))).kind).toBe('fulfilled');
      expect((await inFlight).kind).toBe('rejected');
      client.release();
      pool = undefined;
      expect(await eventually(() => target.snapshot().total === 0)).toBe(true);
    },
  );
});
