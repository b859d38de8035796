/**
 * The pool emits `acquire` and `release` only while someone listens, reading
 * flags instead of looking listeners up: every way of adding and removing a
 * listener must keep the flags right, or events would be lost (or emitted for
 * nobody, which only costs time).
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/pool/create-pool.js';
import { ListenerAwareEmitter } from '../../src/pool/listener-aware-emitter.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { fakeClientClass, settingsFor } from './pool-test-support.js';

const URL = 'postgres://app:secret@db.internal:5432/app';
const pools: ClientAtsPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

const flags = (emitter: ListenerAwareEmitter): string =>
  `acquire ${emitter.listening.acquire}, release ${emitter.listening.release}`;

describe('ListenerAwareEmitter', () => {
  it('follows on, addListener, prependListener, off and removeListener', () => {
    const emitter = new ListenerAwareEmitter();
    const first = (): void => undefined;
    const second = (): void => undefined;
    const seen = [flags(emitter)];
    emitter.on('acquire', first);
    emitter.addListener('acquire', second);
    emitter.prependListener('release', first);
    seen.push(flags(emitter));
    emitter.off('acquire', first);
    seen.push(flags(emitter));
    emitter.removeListener('acquire', second);
    emitter.removeListener('release', first);
    seen.push(flags(emitter));
    expect(seen).toEqual([
      'acquire false, release false',
      'acquire true, release true',
      'acquire true, release true',
      'acquire false, release false',
    ]);
  });

  it('follows once and prependOnceListener, which remove themselves when they fire', () => {
    const emitter = new ListenerAwareEmitter();
    const calls: string[] = [];
    emitter.once('acquire', () => calls.push('acquire'));
    emitter.prependOnceListener('release', () => calls.push('release'));
    const before = flags(emitter);
    emitter.emit('acquire');
    emitter.emit('release');
    expect([before, flags(emitter), calls.join(' ')]).toEqual([
      'acquire true, release true',
      'acquire false, release false',
      'acquire release',
    ]);
  });

  it('follows removeAllListeners for one event, for all events, and with removeListener listeners', () => {
    const emitter = new ListenerAwareEmitter();
    const noop = (): void => undefined;
    emitter.on('acquire', noop).on('release', noop).on('error', noop);
    emitter.removeAllListeners('release');
    const oneRemoved = flags(emitter);
    emitter.on('release', noop).on('removeListener', noop);
    emitter.removeAllListeners();
    const allRemoved = flags(emitter);
    emitter.on('release', noop);
    expect([oneRemoved, allRemoved, flags(emitter), emitter.listenerCount('error')]).toEqual([
      'acquire true, release false',
      'acquire false, release false',
      'acquire false, release true',
      0,
    ]);
  });

  it('ignores other events and removeAllListeners(undefined), as Node does', () => {
    const emitter = new ListenerAwareEmitter();
    const noop = (): void => undefined;
    emitter.on('connect', noop).on('release', noop);
    emitter.removeAllListeners(undefined);
    expect([flags(emitter), emitter.listenerCount('connect')]).toEqual(['acquire false, release true', 1]);
  });
});

describe('the pool emits acquire and release exactly while someone listens', () => {
  it('delivers to listeners added after the pool started, after once, and after removeAllListeners', async () => {
    const { Client } = fakeClientClass();
    const pool = createPool(settingsFor(URL, { POOL_SIZE: '1' }), { Client });
    pools.push(pool);
    await pool.ready;
    const emitter = pool as unknown as ListenerAwareEmitter; // what createPool returns, beyond ClientAtsPool
    const seen: string[] = [];
    const cycle = async (label: string): Promise<void> => {
      seen.push(label);
      await pool.query('SELECT 1');
      const client = await pool.connect();
      client.release();
    };
    await cycle('nobody listens');
    pool.on('acquire', () => seen.push('acquire'));
    pool.on('release', (error) => seen.push(`release ${error?.message ?? 'ok'}`));
    await cycle('both listened');
    emitter.removeAllListeners();
    await cycle('all removed');
    const released = once(emitter, 'release');
    await cycle('events.once on release');
    await released;
    await cycle('the once listener is gone');
    expect(seen).toEqual([
      'nobody listens',
      'both listened',
      'acquire',
      'release ok',
      'acquire',
      'release ok',
      'all removed',
      'events.once on release',
      'the once listener is gone',
    ]);
    expect(emitter.listening).toEqual({ acquire: false, release: false });
  });
});
