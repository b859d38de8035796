/**
 * DATABASE_SSL against a private PostgreSQL serving a certificate made here
 * with the `openssl` CLI from a throw-away CA: `true` (verify-full) checks
 * chain and host, `verify-ca` only the chain, `require` encrypts without
 * checking, `false` does not encrypt.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from '../../src/pool/create-pool.js';
import { PoolTimeoutError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import {
  createTestCertificates,
  installServerCertificate,
  type TestCertificates,
} from '../support/test-certificates.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { settingsFor } from './pool-test-support.js';

let certificates: TestCertificates;
let database: TestDatabase;
const pools: ClientAtsPool[] = [];

beforeAll(async () => {
  // For IP 127.0.0.1 only (no DNS name), the address the tests connect to.
  certificates = createTestCertificates('IP:127.0.0.1');
  database = await startTestDatabase({
    settings: { ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key' },
    beforeStart: async (dataDirectory, owner) => installServerCertificate(certificates, dataDirectory, owner),
  });
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

afterAll(async () => {
  await database?.close();
  certificates?.close();
});

function poolFor(url: string, env: Record<string, string>): ClientAtsPool {
  const pool = createPool(settingsFor(url, { POOL_SIZE: '1', POOL_TIMEOUT: '1500', ...env }));
  pools.push(pool);
  return pool;
}

async function sslInUse(pool: ClientAtsPool): Promise<boolean> {
  const result = await pool.query<{ ssl: boolean }>(
    'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  return result.rows[0]?.ssl ?? false;
}

async function connectErrorOf(pool: ClientAtsPool): Promise<string> {
  const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PoolTimeoutError);
  return ((error as Error).cause as Error).message;
}

describe('DATABASE_SSL', () => {
  it('true (verify-full) fails when the server certificate comes from an unknown CA', async () => {
    const pool = poolFor(database.url, { DATABASE_SSL: 'true' });
    expect(await connectErrorOf(pool)).toBe(
      `TLS certificate of 127.0.0.1:${database.port} is not trusted ` +
        '(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate): ' +
        'set DATABASE_SSL_CA to the CA that signed it, ' +
        'or DATABASE_SSL=require to encrypt without verifying',
    );
  });

  it('true (verify-full) connects over TLS when DATABASE_SSL_CA names the CA', async () => {
    const pool = poolFor(database.url, { DATABASE_SSL: 'true', DATABASE_SSL_CA: certificates.caFile });
    expect(await sslInUse(pool)).toBe(true);
  });

  it('verify-full fails when the certificate does not name the host; verify-ca accepts it', async () => {
    const byName = database.url.replace('@127.0.0.1:', '@localhost:');
    const ca = certificates.caFile;
    expect(await connectErrorOf(poolFor(byName, { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA: ca }))).toBe(
      `TLS certificate of localhost:${database.port} does not name that host (ERR_TLS_CERT_ALTNAME_INVALID): ` +
        'connect by a name the certificate lists, or set DATABASE_SSL=verify-ca to verify the CA only',
    );
    expect(await sslInUse(poolFor(byName, { DATABASE_SSL: 'verify-ca', DATABASE_SSL_CA: ca }))).toBe(true);
  });

  it('require encrypts without verifying the certificate', async () => {
    expect(await sslInUse(poolFor(database.url, { DATABASE_SSL: 'require' }))).toBe(true);
  });

  it('false connects without TLS', async () => {
    expect(await sslInUse(poolFor(database.url, { DATABASE_SSL: 'false' }))).toBe(false);
  });

  it('fails when the server does not offer TLS', async () => {
    const plain = inject('databaseUrl');
    const port = new URL(plain).port;
    expect(await connectErrorOf(poolFor(plain, { DATABASE_SSL: 'require' }))).toBe(
      `127.0.0.1:${port} does not accept TLS connections but DATABASE_SSL=require: ` +
        'enable ssl on the server or set DATABASE_SSL=false',
    );
  });
});
