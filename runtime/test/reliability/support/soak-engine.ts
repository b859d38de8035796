/**
 * The soak: many callers with random hold times, random client errors and
 * releases with errors, against the real pool and a real PostgreSQL, with the
 * invariants checked while it runs and at regular quiescent points:
 * - connections never above the pool's bound (`perInstanceConnections` less the
 *   readiness connection), seen from the pool and from the server;
 * - every checkout released, nothing waiting, every connection idle when the load pauses;
 * - the pool's `totalCount` equal to the server's count of its backends;
 * - every query answered with its own result (no cross-wired connections);
 * - no error other than the ones the callers provoke;
 * - heap growth (after a forced GC) below a stated bound.
 * Used by the short soak in `npm test` and by `npm run soak`. Counters only, so
 * the harness itself does not grow with the run's length.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { perInstanceConnections, READINESS_CONNECTIONS, type Settings } from '../../../src/contract/index.js';
import { createPool } from '../../../src/pool/create-pool.js';
import type { ClientAtsPool, PooledClient } from '../../../src/pool/pool-types.js';
import { serverBackendCount, waitUntil } from './server-view.js';

/** Options of `runSoak`. */
export interface SoakOptions {
  /** Pool settings (URL included). */
  readonly settings: Settings;
  /** URL for the server-side counts (may be the same as the pool's). */
  readonly adminUrl: string;
  readonly durationMillis: number;
  readonly callers: number;
  /** Pause the load and check the quiescent invariants this often. */
  readonly quiesceEveryMillis: number;
  /** Seed of the random choices, printed with the figures so a failure can be replayed. */
  readonly seed: number;
  /** The heap may grow at most this much between the first and last quiescent points. */
  readonly heapGrowthBoundBytes: number;
  /** Longest random hold of a checked-out connection. @default 20 */
  readonly maxHoldMillis?: number;
  /** `application_name` of the pool's connections. @default 'clientats-soak' */
  readonly applicationName?: string;
}

/** What the soak measured, and every invariant violation it saw (empty when it held). */
export interface SoakReport {
  readonly seed: number;
  readonly durationMillis: number;
  readonly operations: number;
  readonly operationsPerSecond: number;
  /** Errors the callers provoked on purpose, by kind. */
  readonly provoked: Readonly<Record<string, number>>;
  /** Errors nobody asked for (first lines, counted). */
  readonly unexpected: Readonly<Record<string, number>>;
  readonly checkouts: number;
  readonly releasedWithError: number;
  readonly quiescentChecks: number;
  /** The pool's own bound and the highest counts seen against it. */
  readonly connectionBound: number;
  readonly maxPoolTotalSeen: number;
  readonly maxServerCountSeen: number;
  readonly snapshotAtEnd: {
    total: number;
    idle: number;
    inUse: number;
    waiting: number;
    timeouts: number;
    connectionErrors: number;
    overflowOpened: number;
  };
  readonly heapAtFirstQuiescenceBytes: number;
  readonly heapAtLastQuiescenceBytes: number;
  readonly heapGrowthBoundBytes: number;
  readonly violations: readonly string[];
}

/** Runs the soak and returns its report; never throws for an invariant violation (it is listed instead). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { settings } = options;
  const applicationName = options.applicationName ?? 'clientats-soak';
  const random = mulberry32(options.seed);
  const maxHoldMillis = options.maxHoldMillis ?? 20;
  const bound = perInstanceConnections(settings) - READINESS_CONNECTIONS;
  const prefilled = settings.poolSize * settings.poolCount;
  const violations: string[] = [];
  const violate = (message: string): void => {
    if (violations.length < 50) violations.push(message);
  };
  const provoked: Record<string, number> = {};
  const unexpected: Record<string, number> = {};
  let operations = 0;
  let checkouts = 0;
  let releasedWithError = 0;
  let outstanding = 0;
  let inFlight = 0;
  let paused = false;
  let stopped = false;
  let maxPoolTotalSeen = 0;
  let maxServerCountSeen = 0;
  let quiescentChecks = 0;
  const heaps: number[] = [];

  const pool = createPool(settings, { applicationName });
  pool.on('error', () => undefined);
  await pool.ready;

  const checkout = async (): Promise<PooledClient> => {
    const client = await pool.connect();
    checkouts += 1;
    outstanding += 1;
    return client;
  };
  const release = (client: PooledClient, error?: Error | boolean): void => {
    outstanding -= 1;
    if (error !== undefined) releasedWithError += 1;
    client.release(error);
  };
  const expectRow = (value: number, rows: Array<{ n: number }>): void => {
    if (rows.length !== 1 || rows[0]!.n !== value)
      violate(`query for ${value} answered ${JSON.stringify(rows)}`);
  };
  const provoke = async (kind: string, work: () => Promise<unknown>): Promise<void> => {
    try {
      await work();
      violate(`${kind} did not fail`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const expectedCode = kind === 'division-by-zero' ? '22012' : '42601';
      if (code === expectedCode) provoked[kind] = (provoked[kind] ?? 0) + 1;
      else throw error;
    }
  };

  /** One random operation. */
  const operation = async (): Promise<void> => {
    const value = Math.floor(random() * 1_000_000);
    const choice = random();
    const hold = Math.floor(random() * maxHoldMillis);
    if (choice < 0.45) {
      expectRow(value, (await pool.query<{ n: number }>('SELECT $1::int AS n', [value])).rows);
    } else if (choice < 0.7) {
      const client = await checkout();
      try {
        expectRow(value, (await client.query<{ n: number }>('SELECT $1::int AS n', [value])).rows);
        await sleep(hold);
      } finally {
        release(client);
      }
    } else if (choice < 0.8) {
      const client = await checkout();
      try {
        await provoke('division-by-zero', () => client.query('SELECT 1 / 0'));
        expectRow(value, (await client.query<{ n: number }>('SELECT $1::int AS n', [value])).rows);
      } finally {
        release(client);
      }
    } else if (choice < 0.87) {
      await provoke('syntax-error', () => pool.query('SELEC 1'));
    } else if (choice < 0.94) {
      const client = await checkout();
      await sleep(hold);
      release(client, new Error('caller discards this connection'));
    } else {
      const client = await checkout();
      try {
        await client.query(`SELECT pg_sleep(${(hold / 1000).toFixed(3)})`);
      } finally {
        release(client, true);
      }
    }
  };

  const caller = async (): Promise<void> => {
    for (let step = 0; step < 10_000_000 && !stopped; step += 1) {
      if (paused) {
        await sleep(5);
        continue;
      }
      inFlight += 1;
      try {
        await operation();
      } catch (error) {
        const line = String((error as Error).message)
          .split('\n')[0]!
          .slice(0, 160);
        unexpected[line] = (unexpected[line] ?? 0) + 1;
      } finally {
        inFlight -= 1;
        operations += 1;
      }
    }
  };

  const sampler = setInterval(() => {
    const snapshot = pool.snapshot();
    maxPoolTotalSeen = Math.max(maxPoolTotalSeen, snapshot.total);
    if (snapshot.total > bound) violate(`pool held ${snapshot.total} connections, bound ${bound}`);
  }, 20);
  sampler.unref();
  let serverSampling = Promise.resolve();
  const serverSampler = setInterval(() => {
    serverSampling = serverSampling.then(async () => {
      const count = await serverBackendCount(options.adminUrl, applicationName).catch(() => 0);
      maxServerCountSeen = Math.max(maxServerCountSeen, count);
      if (count > bound) violate(`server counted ${count} backends of the pool, bound ${bound}`);
    });
  }, 250);
  serverSampler.unref();

  const quiescentCheck = async (): Promise<void> => {
    paused = true;
    try {
      await waitUntil('callers paused', () => inFlight === 0, 10_000, 5);
      quiescentChecks += 1;
      const snapshot = pool.snapshot();
      if (outstanding !== 0) violate(`${outstanding} checkouts not released at a quiescent point`);
      if (snapshot.inUse !== 0 || snapshot.waiting !== 0)
        violate(`at a quiescent point inUse=${snapshot.inUse} waiting=${snapshot.waiting}`);
      await waitUntil(
        'pool refilled to its prefilled size',
        () => pool.totalCount >= prefilled,
        5000,
        10,
      ).catch(() =>
        violate(`pool total ${pool.totalCount} below its prefilled ${prefilled} at a quiescent point`),
      );
      let serverCount = -1;
      await waitUntil(
        'server agrees with the pool',
        async () => {
          serverCount = await serverBackendCount(options.adminUrl, applicationName);
          return serverCount === pool.totalCount;
        },
        5000,
        20,
      ).catch(() =>
        violate(`pool totalCount ${pool.totalCount} but the server counts ${serverCount} backends`),
      );
      if (pool.idleCount !== pool.totalCount)
        violate(`idle ${pool.idleCount} of ${pool.totalCount} at a quiescent point`);
      heaps.push(heapAfterGc());
    } finally {
      paused = false;
    }
  };

  const started = performance.now();
  const callers = Array.from({ length: options.callers }, () => caller());
  try {
    let nextQuiescence = started + Math.min(options.quiesceEveryMillis, options.durationMillis / 2);
    while (performance.now() - started < options.durationMillis) {
      await sleep(
        Math.max(1, Math.min(nextQuiescence, started + options.durationMillis) - performance.now()),
      );
      if (performance.now() >= nextQuiescence) {
        await quiescentCheck();
        nextQuiescence = performance.now() + options.quiesceEveryMillis;
      }
    }
    stopped = true;
    await Promise.all(callers);
    await quiescentCheck();
  } finally {
    stopped = true;
    clearInterval(sampler);
    clearInterval(serverSampler);
    await serverSampling;
  }
  const elapsed = performance.now() - started;
  const end = pool.snapshot();
  await endPool(pool);

  const heapGrowth = (heaps.at(-1) ?? 0) - (heaps[0] ?? 0);
  if (heapGrowth > options.heapGrowthBoundBytes)
    violate(`heap grew ${heapGrowth} bytes, bound ${options.heapGrowthBoundBytes}`);
  for (const [line, count] of Object.entries(unexpected)) violate(`unexpected error ×${count}: ${line}`);
  return {
    seed: options.seed,
    durationMillis: Math.round(elapsed),
    operations,
    operationsPerSecond: Math.round(operations / (elapsed / 1000)),
    provoked,
    unexpected,
    checkouts,
    releasedWithError,
    quiescentChecks,
    connectionBound: bound,
    maxPoolTotalSeen,
    maxServerCountSeen,
    snapshotAtEnd: {
      total: end.total,
      idle: end.idle,
      inUse: end.inUse,
      waiting: end.waiting,
      timeouts: end.timeouts,
      connectionErrors: end.connectionErrors,
      overflowOpened: end.overflowOpened,
    },
    heapAtFirstQuiescenceBytes: heaps[0] ?? 0,
    heapAtLastQuiescenceBytes: heaps.at(-1) ?? 0,
    heapGrowthBoundBytes: options.heapGrowthBoundBytes,
    violations,
  };
}

async function endPool(pool: ClientAtsPool): Promise<void> {
  await pool.end({ drainMillis: 2000 });
}

let collect: (() => void) | undefined;

/** Heap in use after a full garbage collection (GC exposed at runtime, so no node flag is needed). */
function heapAfterGc(): number {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/** A small seeded PRNG, so a soak's random choices can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
