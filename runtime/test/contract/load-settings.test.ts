import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ENVIRONMENT_VARIABLES,
  loadSettings,
  SettingsError,
  validateEnvironment,
} from '../../src/contract/index.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).message.split('\n');
  }
  throw new Error('expected loadSettings to throw');
}

describe('loadSettings', () => {
  const directory = mkdtempSync(join(tmpdir(), 'clientats-settings-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('uses the guide defaults when nothing is set', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      databaseUrl: undefined,
      poolSize: 10,
      poolCount: 1,
      maxOverflow: 0,
      poolTimeoutMillis: 5000,
      ssl: 'disable',
      port: 4000,
      host: undefined,
      healthCheckToken: undefined,
    });
  });

  it.each([['127.0.0.1'], ['0.0.0.0'], ['::'], ['::1'], ['fe80::1%eth0'], ['health.internal']])(
    'reads HOST=%s',
    (host) => {
      expect(loadSettings({ HOST: ` ${host} ` }).host).toBe(host);
    },
  );

  it('reads a blank HOST as unset: all interfaces', () => {
    expect(loadSettings({ HOST: '  ' }).host).toBeUndefined();
  });

  it('fails when HOST is not an address or host name', () => {
    expect(problemsOf({ HOST: 'http://0.0.0.0:4000' })).toEqual([
      'HOST must be an IPv4 or IPv6 address or a host name, such as 0.0.0.0, :: or 127.0.0.1, ' +
        'got "http://0.0.0.0:4000"',
    ]);
  });

  it('reads the guide Kubernetes values', () => {
    const settings = loadSettings({
      POOL_SIZE: '10',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '3',
      POOL_TIMEOUT: '8000',
      DATABASE_SSL: 'true',
    });
    expect(settings).toMatchObject({
      poolSize: 10,
      poolCount: 2,
      maxOverflow: 3,
      poolTimeoutMillis: 8000,
      ssl: 'verify-full',
    });
  });

  it.each([
    ['true', 'verify-full'],
    ['1', 'verify-full'],
    ['TRUE', 'verify-full'],
    ['false', 'disable'],
    ['0', 'disable'],
    ['disable', 'disable'],
    ['require', 'require'],
    ['verify-ca', 'verify-ca'],
    ['verify-full', 'verify-full'],
  ])('maps DATABASE_SSL=%s to %s', (raw, mode) => {
    expect(loadSettings({ DATABASE_SSL: raw }).ssl).toBe(mode);
  });

  it.each([
    'postgres://u:p@db:5432/app',
    'postgresql://u:p@db/app',
    'ecto://postgres:postgres@db:5432/clientats_dev',
  ])('accepts DATABASE_URL %s', (url) => {
    expect(loadSettings({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('reads DATABASE_URL_FILE, trimming the trailing newline', () => {
    const file = join(directory, 'url');
    writeFileSync(file, 'postgres://app:s3cret@db:5432/app\n');
    expect(loadSettings({ DATABASE_URL_FILE: file }).databaseUrl).toBe('postgres://app:s3cret@db:5432/app');
  });

  it('treats an empty HEALTH_CHECK_TOKEN as no token', () => {
    expect(loadSettings({ HEALTH_CHECK_TOKEN: '' }).healthCheckToken).toBeUndefined();
  });

  it('fails when several variables are bad, listing every one in contract order', () => {
    expect(
      problemsOf({
        POOL_SIZE: '0',
        POOL_COUNT: 'abc',
        DATABASE_SSL: 'maybe',
        PORT: '70000',
        POOL_TIMEOUT: '1.5',
      }),
    ).toEqual([
      'POOL_SIZE must be an integer from 1 to 10000, got "0"',
      'POOL_COUNT must be an integer from 1 to 1000, got "abc"',
      'POOL_TIMEOUT must be an integer from 1 to 2147483647, got "1.5"',
      'DATABASE_SSL must be one of true, false, 1, 0, disable, require, verify-ca, verify-full, got "maybe"',
      'PORT must be an integer from 1 to 65535, got "70000"',
    ]);
  });

  it('fails when MAX_OVERFLOW is negative', () => {
    expect(problemsOf({ MAX_OVERFLOW: '-1' })).toEqual([
      'MAX_OVERFLOW must be an integer from 0 to 10000, got "-1"',
    ]);
  });

  it('fails when an integer is too large to be exact', () => {
    expect(problemsOf({ POOL_SIZE: '99999999999999999999' })).toEqual([
      'POOL_SIZE must be an integer from 1 to 10000, got "99999999999999999999"',
    ]);
  });

  it('fails when DATABASE_URL has another scheme, without showing the password', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://app:hunter2@db/app' })).toEqual([
      'DATABASE_URL must start with postgres://, postgresql:// or ecto://, got "mysql://app:***@db/app"',
    ]);
  });

  it('fails when DATABASE_URL is not a URL, without showing the password', () => {
    const [line] = problemsOf({ DATABASE_URL: 'postgres://app:hunter2@' });
    expect(line).toBe('DATABASE_URL is not a URL, got "postgres://app:***@"');
  });

  it('fails when NODE_ENV=production and no URL is given', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'DATABASE_URL is required when NODE_ENV=production (or set DATABASE_URL_FILE), got nothing',
    ]);
  });

  it('fails when both DATABASE_URL and DATABASE_URL_FILE are set', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://db/app', DATABASE_URL_FILE: '/run/secrets/url' })).toEqual([
      'DATABASE_URL_FILE and DATABASE_URL are both set: set only one of them',
    ]);
  });

  it('fails when DATABASE_URL_FILE cannot be read', () => {
    const missing = join(directory, 'missing');
    expect(problemsOf({ DATABASE_URL_FILE: missing })).toEqual([
      `DATABASE_URL_FILE names a file that cannot be read (ENOENT), got "${missing}"`,
    ]);
  });

  it('fails when DATABASE_URL_FILE holds something that is not a database URL', () => {
    const file = join(directory, 'bad-url');
    writeFileSync(file, 'http://app:topsecret@db/app');
    expect(problemsOf({ DATABASE_URL_FILE: file })).toEqual([
      `DATABASE_URL_FILE (${file}) holds a URL that must start with postgres://, ` +
        'postgresql:// or ecto://, got "http://app:***@db/app"',
    ]);
  });
});

describe('validateEnvironment', () => {
  it('accepts a DATABASE_URL_FILE that exists only inside the container', () => {
    expect(
      validateEnvironment({ DATABASE_URL_FILE: '/run/secrets/database_url', NODE_ENV: 'production' }),
    ).toEqual([]);
  });

  it('states a default for every integer variable that parses under its own schema', () => {
    for (const variable of ENVIRONMENT_VARIABLES) {
      if (variable.default === undefined) continue;
      expect(validateEnvironment({ [variable.name]: variable.default })).toEqual([]);
    }
  });
});
