/**
 * The pool's counts stay consistent: after every step of randomized sequences
 * (checkouts, queries, releases with and without errors, idle errors, broken
 * queries, connections that die silently, the clock passing the idle check
 * and the lifetime, `end()` in the middle, ticks) on the fake client, `busy +
 * idle + connecting + closing` equals the slots used, every count equals the
 * connections in that state, and no partition exceeds POOL_SIZE + MAX_OVERFLOW.
 * Every part of the pool runs in these sequences: checkout (with the idle
 * check and the requeue after a failed one), dispatch, growth, housekeeping
 * and drain.
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
  | { kind: 'silent-death'; pick: number }
  | { kind: 'advance'; millis: number }
  | { kind: 'end' }
  | { kind: 'tick' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'connect' }),
  fc.boolean().map((fails): Step => ({ kind: 'query', fails })),
  fc
    .record({ pick: fc.nat(20), withError: fc.boolean() })
    .map((value): Step => ({ kind: 'release', ...value })),
  fc.nat(20).map((pick): Step => ({ kind: 'idle-error', pick })),
  fc.nat(20).map((pick): Step => ({ kind: 'silent-death', pick })),
  fc.integer({ min: 1, max: 700 }).map((millis): Step => ({ kind: 'advance', millis })),
  fc.constant<Step>({ kind: 'tick' }),
  fc.constant<Step>({ kind: 'tick' }),
);

/** Rarely: `end()` in the middle of the sequence, so the drain runs while callers still come. */
const withEnd: fc.Arbitrary<Step> = fc.oneof(
  { weight: 30, arbitrary: step },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'end' }) },
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
        fc.array(withEnd, { minLength: 1, maxLength: 40, size: 'max' }),
        async (shape, steps) => {
          // A silently dead client fails every query, the idle check's `SELECT 1` included.
          const dead = new Set<FakeClient>();
          const { Client, clients } = fakeClientClass({
            query: (client, text) =>
              text === 'fail' || dead.has(client) ? new Error('Connection terminated') : undefined,
          });
          let clock = 0;
          const settings = settingsFor(URL, {
            POOL_SIZE: String(shape.size),
            POOL_COUNT: String(shape.count),
            MAX_OVERFLOW: String(shape.overflow),
            POOL_TIMEOUT: '60000',
            POOL_OVERFLOW_IDLE_MS: '0',
            POOL_IDLE_CHECK_MS: '100',
            POOL_MAX_LIFETIME_MS: '1000',
          });
          const pool = new PartitionedPool(settings, { Client, maxUses: 3, now: () => clock });
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
              case 'silent-death': {
                const open = clients.filter((client: FakeClient) => !client.ended);
                const client = open[each.pick % Math.max(1, open.length)];
                if (client !== undefined) dead.add(client);
                break;
              }
              case 'advance':
                clock += each.millis;
                break;
              case 'end':
                pending.push(pool.end({ drainMillis: 50 }));
                break;
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

  it('is the only writer of its counts: totals grow through its count methods, partitions are read-only', () => {
    const ledger = new SlotLedger(1, 1, 0);
    ledger.countCheckout();
    ledger.countCheckout();
    ledger.countTimeout();
    ledger.countOverflowOpened();
    ledger.countConnectionError();
    expect(ledger.totals).toEqual({ checkouts: 2, timeouts: 1, overflowOpened: 1, connectionErrors: 1 });
    // Compile-time ownership (tsc runs over the tests in `npm run lint`): these writes must not type-check.
    const writesFromOutside = (): void => {
      // @ts-expect-error totals are read-only outside the ledger
      ledger.totals.checkouts++;
      // @ts-expect-error partitions are read-only outside the ledger
      ledger.partitions[0]!.idle++;
    };
    expect(writesFromOutside).toBeTypeOf('function');
  });
});
