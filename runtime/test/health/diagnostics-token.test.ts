import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBearerVerifier } from '../../src/health/bearer-token.js';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import { recordingLogger, testSettings } from '../support/health-fixture.js';

const TOKEN = 'diag-7f3a9c1e5b';
const UNAUTHORIZED_BODY = '{"status":"unauthorized","error":"a valid bearer token is required"}';

async function diagnostics(server: HealthServer, authorization: string | undefined): Promise<Response> {
  return fetch(`${server.url}/health/diagnostics`, {
    headers: authorization === undefined ? {} : { authorization },
  });
}

async function expectUnauthorized(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  expect(await response.text()).toBe(UNAUTHORIZED_BODY);
}

describe('diagnostics with HEALTH_CHECK_TOKEN set', () => {
  let server: HealthServer;
  beforeAll(async () => {
    const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '1', HEALTH_CHECK_TOKEN: TOKEN });
    server = await createHealthServer({ pool: createPool(settings), settings, port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.shutdown();
  });

  it('answers 200 to the right token', async () => {
    const response = await diagnostics(server, `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ pool: { pool_size: 1 } });
  });

  it('accepts the scheme in any case and more than one space before the token (RFC 7235, RFC 6750)', async () => {
    expect((await diagnostics(server, `bearer ${TOKEN}`)).status).toBe(200);
    expect((await diagnostics(server, `BEARER  ${TOKEN}`)).status).toBe(200);
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty Authorization header', ''],
    ['the scheme with an empty token', 'Bearer '],
    ['the scheme alone', 'Bearer'],
    ['a wrong token', 'Bearer not-the-token'],
    ['the token with a character appended', `Bearer ${TOKEN}x`],
    ['the token with a character prepended', `Bearer x${TOKEN}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token in another case', `Bearer ${TOKEN.toUpperCase()}`],
    ['the token without a scheme', TOKEN],
    ['the token under the Basic scheme', `Basic ${TOKEN}`],
    ['a scheme glued to the token', `Bearer${TOKEN}`],
    ['the token twice', `Bearer ${TOKEN} ${TOKEN}`],
  ])('fails with 401 and WWW-Authenticate: Bearer for %s', async (_case, authorization) => {
    await expectUnauthorized(await diagnostics(server, authorization));
  });
});

describe('diagnostics with no HEALTH_CHECK_TOKEN', () => {
  let server: HealthServer;
  const logger = recordingLogger();
  beforeAll(async () => {
    const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '1', HEALTH_CHECK_TOKEN: '' });
    server = await createHealthServer({
      pool: createPool(settings),
      settings,
      logger,
      port: 0,
      host: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await server?.shutdown();
  });

  it.each([
    ['no Authorization header', undefined],
    ['the scheme with an empty token', 'Bearer '],
    ['an empty Authorization header', ''],
    ['any token', 'Bearer anything'],
    ['the word undefined', 'Bearer undefined'],
  ])('fails with 401 for %s', async (_case, authorization) => {
    await expectUnauthorized(await diagnostics(server, authorization));
  });

  it('says at startup that diagnostics are closed', () => {
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message: 'HEALTH_CHECK_TOKEN is not set: /health/diagnostics answers 401 to everyone',
      fields: { path: '/health/diagnostics' },
    });
  });
});

describe('createBearerVerifier', () => {
  it('fails every header when the configured token is empty or unset', () => {
    for (const configured of ['', undefined]) {
      const verify = createBearerVerifier(configured);
      expect(['Bearer ', 'Bearer', '', 'Bearer undefined', undefined].map(verify)).toEqual([
        false,
        false,
        false,
        false,
        false,
      ]);
    }
  });

  it('compares tokens of different lengths without throwing', () => {
    const verify = createBearerVerifier('short');
    expect(verify(`Bearer ${'long'.repeat(100)}`)).toBe(false);
    expect(verify('Bearer short')).toBe(true);
  });
});
