/**
 * DATABASE_SSL=true verification under attack, against a real PostgreSQL with
 * a test certificate: a URL parameter (`sslmode=disable`, `sslmode=no-verify`,
 * `ssl=false`) cannot turn it off, a CA that did not sign the certificate is
 * refused, and the readiness connection is as strict as the pool. The modes
 * themselves (unknown CA, host name, verify-ca, require, false) are covered by
 * runtime/test/pool/pool-tls.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_PATHS, loadSettings } from '../../src/contract/index.js';
import { createHealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitUntil } from './support/server-view.js';
import {
  createTestCertificates,
  installServerCertificate,
  type TestCertificates,
} from '../support/test-certificates.js';

describe('TLS verification of the database', () => {
  let certificates: TestCertificates;
  let database: TestDatabase;
  beforeAll(async () => {
    certificates = createTestCertificates();
    database = await startTestDatabase({
      settings: { ssl: 'on' },
      beforeStart: async (dataDirectory, owner) =>
        installServerCertificate(certificates, dataDirectory, owner),
    });
  });
  afterAll(async () => {
    await database?.close();
    certificates?.close();
  });

  const urlFor = (host: string, query = ''): string =>
    `postgres://${database.user}:${database.password}@${host}:${database.port}/${database.database}${query}`;

  /** One pool query with the given settings: `'encrypted'` when it connected over TLS, else the error message. */
  async function attempt(env: Record<string, string>): Promise<string> {
    const pool = createPool(loadSettings({ POOL_SIZE: '1', POOL_TIMEOUT: '600', ...env }), {
      applicationName: 'reliability-tls',
    });
    try {
      const result = await pool.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return result.rows[0]?.ssl === true ? 'encrypted' : 'connected without TLS';
    } catch (error) {
      return (error as Error).message;
    } finally {
      await pool.end({ drainMillis: 0 });
    }
  }

  it('fails when DATABASE_SSL_CA names a CA that did not sign the certificate', async () => {
    const message = await attempt({
      DATABASE_URL: urlFor('localhost'),
      DATABASE_SSL: 'true',
      DATABASE_SSL_CA: certificates.otherCaFile,
    });
    expect(message).toMatch(/last connect error: TLS certificate of localhost:\d+ is not trusted/);
  });

  it(
    'connects encrypted when DATABASE_SSL_CA names the signing CA and the host matches (the control ' +
      'for the refusals here)',
    async () => {
      expect(
        await attempt({
          DATABASE_URL: urlFor('localhost'),
          DATABASE_SSL: 'true',
          DATABASE_SSL_CA: certificates.caFile,
        }),
      ).toBe('encrypted');
    },
  );

  it('fails when a URL parameter tries to turn verification off under DATABASE_SSL=true', async () => {
    const queries = [
      '?sslmode=disable',
      '?sslmode=no-verify',
      '?ssl=false',
      '?sslmode=require&sslrootcert=system',
    ];
    const messages = await Promise.all(
      queries.map((query) => attempt({ DATABASE_URL: urlFor('localhost', query), DATABASE_SSL: 'true' })),
    );
    expect(
      queries.filter(
        (_, index) =>
          !/last connect error: TLS certificate of localhost:\d+ is not trusted/.test(messages[index]!),
      ),
    ).toEqual([]);
    for (const message of messages) expect(message).not.toContain(database.password);
  });

  it('keeps the readiness connection as strict as the pool: 503 for an untrusted certificate', async () => {
    const settings = loadSettings({
      DATABASE_URL: urlFor('localhost'),
      DATABASE_SSL: 'true',
      POOL_SIZE: '1',
      READINESS_INTERVAL_MS: '100',
      SHUTDOWN_DELAY_MS: '0',
    });
    const pool = createPool(settings, { applicationName: 'reliability-tls-readiness' });
    const server = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    try {
      let body: { status?: string; database?: { error?: string } } = {};
      await waitUntil(
        'a readiness verdict with a reason',
        async () => {
          const response = await fetch(`${server.url}${HEALTH_PATHS.readiness}`);
          body = (await response.json()) as typeof body;
          return response.status === 503 && body.database?.error !== 'no check finished yet';
        },
        10_000,
      );
      // Anonymous callers get the short reason; the certificate details are in the log and diagnostics.
      expect(body).toEqual({
        status: 'unhealthy',
        reason: 'TLS verification failed',
        database: { status: 'unhealthy', error: 'TLS verification failed' },
      });
    } finally {
      await server.shutdown({ delayMillis: 0 });
      await pool.end({ drainMillis: 0 });
    }
  });
});
