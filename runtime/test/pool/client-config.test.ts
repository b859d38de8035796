/** Settings → pg.Client configuration: URL schemes, SSL modes, application_name, secrets kept out of sight. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientSetup,
  probeClientConfig,
  sslOptions,
  withClientOptions,
} from '../../src/pool/client-config.js';
import { settingsFor } from './pool-test-support.js';
import { loadSettings } from '../../src/contract/index.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'clientats-config-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('clientSetup', () => {
  it('reads an ecto:// URL like a postgres:// one and keeps the password out of enumeration', () => {
    const { config, warnings } = clientSetup(
      settingsFor('ecto://app:s3cret@db.internal:6543/clientats_prod'),
      undefined,
    );
    expect(config).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'app',
      database: 'clientats_prod',
      application_name: 'clientats',
      ssl: false,
    });
    expect(config.password).toBe('s3cret');
    expect(JSON.stringify(config)).not.toContain('s3cret');
    expect(warnings).toEqual([]);
  });

  it("takes application_name from the option, else from the URL, else 'clientats'", () => {
    const settings = settingsFor('postgres://app@db:5432/app?application_name=from-url');
    expect(clientSetup(settings, 'from-option').config.application_name).toBe('from-option');
    expect(clientSetup(settings, undefined).config.application_name).toBe('from-url');
  });

  it('warns that a URL sslmode is ignored when DATABASE_SSL says otherwise', () => {
    const url = 'postgres://app:s3cret@db:5432/app?sslmode=require';
    expect(clientSetup(settingsFor(url), undefined).warnings).toEqual([
      'DATABASE_URL carries sslmode=require, which is ignored: ' +
        'DATABASE_SSL=disable decides (postgres://app:***@db:5432/app?sslmode=require)',
    ]);
    expect(clientSetup(settingsFor(url, { DATABASE_SSL: 'require' }), undefined).warnings).toEqual([]);
  });

  it('fails when there is no database URL', () => {
    expect(() => clientSetup(loadSettings({}), undefined)).toThrow(
      new Error('createPool needs a database URL: set DATABASE_URL or DATABASE_URL_FILE, got nothing'),
    );
  });
});

describe('sslOptions', () => {
  it('maps every DATABASE_SSL mode onto TLS options', () => {
    expect(sslOptions('disable', undefined)).toBe(false);
    expect(sslOptions('require', undefined)).toEqual({ rejectUnauthorized: false });
    expect(sslOptions('verify-full', undefined)).toEqual({ rejectUnauthorized: true });
    const verifyCa = sslOptions('verify-ca', undefined);
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true });
    expect(verifyCa === false ? 'none' : verifyCa.checkServerIdentity?.('db', {} as never)).toBeUndefined();
  });

  it('reads DATABASE_SSL_CA for the verifying modes', async () => {
    const file = join(directory, 'ca.pem');
    await writeFile(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(sslOptions('verify-full', file)).toEqual({
      rejectUnauthorized: true,
      ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
  });

  it('fails when DATABASE_SSL_CA cannot be read', () => {
    const file = join(directory, 'missing.pem');
    expect(() => sslOptions('verify-full', file)).toThrow(
      new Error(`DATABASE_SSL_CA names a file that cannot be read (ENOENT), got "${file}"`),
    );
  });
});

describe('withClientOptions', () => {
  it('applies extra pg.Client options over the settings and keeps the password out of enumeration', () => {
    const setup = clientSetup(settingsFor('postgres://app:s3cret@db:5432/app'), undefined);
    const { config } = withClientOptions(setup, { statement_timeout: 100, application_name: 'billing' });
    expect(config).toEqual({ ...setup.config, statement_timeout: 100, application_name: 'billing' });
    expect(config.password).toBe('s3cret');
    expect(JSON.stringify(config)).not.toContain('s3cret');
  });
});

describe('probeClientConfig', () => {
  it('keeps where and how to connect, takes its own application_name and drops every statement option', () => {
    const setup = clientSetup(
      settingsFor('postgres://app:s3cret@db:5432/app', { DATABASE_SSL: 'require' }),
      undefined,
    );
    const { config } = withClientOptions(setup, {
      statement_timeout: 100,
      query_timeout: 200,
      lock_timeout: 300,
      idle_in_transaction_session_timeout: 400,
      types: { getTypeParser: () => () => 'x' } as never,
      keepAlive: false,
    });
    const probe = probeClientConfig(config, 'clientats-readiness');
    expect(probe).toEqual({
      host: 'db',
      port: 5432,
      user: 'app',
      database: 'app',
      application_name: 'clientats-readiness',
      ssl: { rejectUnauthorized: false },
      keepAlive: false,
      keepAliveInitialDelayMillis: 10_000,
    });
    expect(probe.password).toBe('s3cret');
    expect(Object.keys(probe)).not.toContain('password');
  });
});
