/**
 * The pool's counts stay consistent: after every step of randomized sequences
 * (checkouts, queries, releases with and without errors, idle errors, broken
 * queries, time passing, end) on the fake client, `busy + idle + connecting +
 * closing` equals the slots used, every count equals the connections in that
 * state, and no partition exceeds POOL_SIZE + MAX_OVERFLOW.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionedPool } from '../../src/pool/partitioned-pool.js';
import type { PooledClient } from '../../src/pool/pool-types.js';
import { SlotLedger } from '../../src/pool/slot-ledger.js';
import { Connection } from '../../src/pool/pool-connection.js';
import { fakeClientClass, settingsFor, type FakeClient } from './pool-test-support.js';

const URL = 'postgres://app:secret@127.0.0.1:5999/app';

type Step =
  | { kind: 'connect' }
  | { kind: 'query'; fails: boolean }
  | { kind: 'release'; pick: number; withError: boolean }
  | { kind: 'idle-error'; pick: number }
  | { kind: 'tick' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'connect' }),
  fc.boolean().map((fails): Step => ({ kind: 'query', fails })),
  fc
    .record({ pick: fc.nat(20), withError: fc.boolean() })
    .map((value): Step => ({ kind: 'release', ...value })),
  fc.nat(20).map((pick): Step => ({ kind: 'idle-error', pick })),
  fc.constant<Step>({ kind: 'tick' }),
);

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SlotLedger', () => {
  it('keeps busy + idle + connecting + closing = slots used after every step of random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          size: fc.integer({ min: 1, max: 3 }),
          count: fc.integer({ min: 1, max: 3 }),
          overflow: fc.integer({ min: 0, max: 2 }),
        }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        async (shape, steps) => {
          const { Client, clients } = fakeClientClass({
            query: (_client, text) => (text === 'fail' ? new Error('Connection terminated') : undefined),
          });
          const settings = settingsFor(URL, {
            POOL_SIZE: String(shape.size),
            POOL_COUNT: String(shape.count),
            MAX_OVERFLOW: String(shape.overflow),
            POOL_TIMEOUT: '60000',
            POOL_OVERFLOW_IDLE_MS: '0',
          });
          const pool = new PartitionedPool(settings, { Client, maxUses: 3 });
          const borrowed: PooledClient[] = [];
          let finishing = false;
          const pending: Promise<unknown>[] = [];
          const check = (label: string): void => expect(pool.invariantViolations(), label).toEqual([]);
          check('at start');
          for (const each of steps) {
            switch (each.kind) {
              case 'connect':
                pending.push(
                  pool.connect().then(
                    (client) => (finishing ? client.release() : borrowed.push(client)),
                    () => undefined,
                  ),
                );
                break;
              case 'query':
                pending.push(pool.query(each.fails ? 'fail' : 'SELECT 1').catch(() => undefined));
                break;
              case 'release': {
                const client = borrowed.splice(each.pick % Math.max(1, borrowed.length), 1)[0];
                client?.release(each.withError ? new Error('rolled back') : undefined);
                break;
              }
              case 'idle-error': {
                const open = clients.filter((client: FakeClient) => !client.ended);
                open[each.pick % Math.max(1, open.length)]?.emit(
                  'error',
                  new Error('terminating connection'),
                );
                break;
              }
              case 'tick':
                await settle();
                break;
            }
            check(`after ${each.kind}`);
            expect(pool.ledger.used).toBeLessThanOrEqual(shape.count * (shape.size + shape.overflow));
          }
          finishing = true;
          for (const client of borrowed.splice(0)) client.release();
          await Promise.all(pending);
          check('after every caller was served');
          await pool.end({ drainMillis: 0 });
          check('after end()');
          expect(pool.ledger.used).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reports counts that disagree with the connections', () => {
    const ledger = new SlotLedger(1, 1, 0);
    const partition = ledger.partitions[0];
    if (partition === undefined) throw new Error('no partition');
    const connection = { state: 'closed', overflow: false, partition } as unknown as Connection;
    ledger.reserve(connection);
    expect(ledger.invariantViolations([])).toEqual([
      'connecting: counted 1, found 0',
      'pool 0 persistent slots: counted 1, found 0',
    ]);
    expect(ledger.invariantViolations([connection])).toEqual([]);
  });
});
