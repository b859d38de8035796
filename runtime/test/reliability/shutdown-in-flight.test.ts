/**
 * Nothing lost at shutdown, made deterministic: a diagnostics request is held
 * in flight (its database answer stalled by a proxy) when the shutdown closes
 * the listener. That request must still get a whole HTTP answer, and a request
 * made after the listener closed must be refused, not half-served.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HEALTH_PATHS, loadSettings, parseDatabaseUrl } from '../../src/contract/index.js';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { clientSetup } from '../../src/pool/client-config.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { recordFigures } from './support/figures.js';
import { get } from './support/http-get.js';
import { waitUntil } from './support/server-view.js';
import { startStallingProxy, type StallingProxy } from './support/stalling-proxy.js';

const TOKEN = 'in-flight-token';

describe('shutdown with a request in flight', () => {
  let proxy: StallingProxy;
  let pool: ClientAtsPool;
  let server: HealthServer;
  const accepted: string[] = [];
  beforeAll(async () => {
    const url = inject('databaseUrl');
    const target = parseDatabaseUrl(url);
    proxy = await startStallingProxy(target.host, target.port);
    const settings = loadSettings({
      DATABASE_URL: url,
      POOL_SIZE: '1',
      HEALTH_CHECK_TOKEN: TOKEN,
      READINESS_INTERVAL_MS: '100',
      READINESS_TIMEOUT_MS: '1000',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_DRAIN_MS: '1000',
    });
    pool = createPool(settings, { applicationName: 'reliability-in-flight' });
    // Mutated, not spread: the config keeps its password out of enumeration.
    const throughProxy = clientSetup(settings, 'reliability-in-flight-readiness').config;
    throughProxy.host = '127.0.0.1';
    throughProxy.port = proxy.port;
    server = await createHealthServer({
      pool,
      settings,
      port: 0,
      host: '127.0.0.1',
      readinessClientConfig: throughProxy,
      diagnosticsTimeoutMillis: 2000,
    });
    server.server.on('request', (request: { url?: string }) => accepted.push(request.url ?? ''));
  });
  afterAll(async () => {
    await server?.shutdown({ delayMillis: 0 });
    await pool?.end({ drainMillis: 0 });
    await proxy?.close();
  });

  it(
    'answers the diagnostics request it had accepted in full, ' +
      'and refuses the one that comes after the listener closed',
    async () => {
      const diagnosticsUrl = `${server.url}${HEALTH_PATHS.diagnostics}`;
      await waitUntil(
        'readiness healthy through the proxy',
        async () => (await fetch(`${server.url}${HEALTH_PATHS.readiness}`)).status === 200,
        10_000,
      );
      proxy.stall();
      const inFlight = get(diagnosticsUrl, { authorization: `Bearer ${TOKEN}` });
      await waitUntil(
        'diagnostics request accepted by the server',
        () => accepted.includes(HEALTH_PATHS.diagnostics),
        5000,
        5,
      );
      const shutdown = server.shutdown({ delayMillis: 0 });
      await waitUntil('listener closed', () => !server.server.listening, 5000, 5);
      const late = await get(diagnosticsUrl, { authorization: `Bearer ${TOKEN}` });
      const answer = await inFlight;
      await shutdown;

      expect(late).toEqual({ error: 'ECONNREFUSED', bytes: 0 });
      expect(answer).toMatchObject({ status: expect.any(Number), complete: true });
      if ('body' in answer) expect(() => JSON.parse(answer.body) as unknown).not.toThrow();
      recordFigures('shutdown-in-flight', {
        inFlightAnswer: 'status' in answer ? answer.status : answer.error,
        lateRequest: 'error' in late ? late.error : late.status,
      });
    },
  );
});
