/**
 * Security of `/health/diagnostics` over real HTTP, with the hostile requests
 * the health server's own tests leave out: duplicated `Authorization` headers,
 * very long headers, bytes HTTP forbids, tokens in the query string, every
 * method, and no token configured at all. The server must answer each with a
 * refusal (or reject the request outright) and keep serving afterwards.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { HEALTH_PATHS, loadSettings, type Settings } from '../../src/contract/index.js';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';

const TOKEN = 'Diag-Token_7f3a9c';

function settingsFor(databaseUrl: string, token: string | undefined): Settings {
  return loadSettings({
    DATABASE_URL: databaseUrl,
    POOL_SIZE: '1',
    READINESS_INTERVAL_MS: '200',
    SHUTDOWN_DELAY_MS: '0',
    ...(token === undefined ? {} : { HEALTH_CHECK_TOKEN: token }),
  });
}

/**
 * Sends raw bytes as one HTTP request and returns the status line's code (0 when the server closed without
 * answering).
 */
async function rawStatus(port: number, request: Buffer | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server neither answered nor closed within 10 s'));
    }, 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'));
      resolve(status === null ? 0 : Number(status[1]));
    });
    // write, not end: a half-closed socket makes Node drop a request whose answer is still being computed.
    socket.write(request);
  });
}

function request(headers: string[], path: string = HEALTH_PATHS.diagnostics): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers, '', ''].join('\r\n');
}

describe('diagnostics under hostile requests', () => {
  let pool: ClientAtsPool;
  let server: HealthServer;
  let closedPool: ClientAtsPool;
  let closedServer: HealthServer;
  beforeAll(async () => {
    const url = inject('databaseUrl');
    const settings = settingsFor(url, TOKEN);
    pool = createPool(settings, { applicationName: 'reliability-diagnostics' });
    server = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    const closedSettings = settingsFor(url, '');
    closedPool = createPool(closedSettings, { applicationName: 'reliability-diagnostics-closed' });
    closedServer = await createHealthServer({
      pool: closedPool,
      settings: closedSettings,
      port: 0,
      host: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await server?.shutdown({ delayMillis: 0 });
    await closedServer?.shutdown({ delayMillis: 0 });
    await pool?.end({ drainMillis: 0 });
    await closedPool?.end({ drainMillis: 0 });
  });

  const diagnostics = (target: HealthServer, authorization?: string, suffix = ''): Promise<Response> =>
    fetch(`${target.url}${HEALTH_PATHS.diagnostics}${suffix}`, {
      headers: authorization === undefined ? {} : { authorization },
    });

  it('answers 200 to the token with the scheme in any case and whitespace around the header value', async () => {
    for (const header of [
      `Bearer ${TOKEN}`,
      `bearer ${TOKEN}`,
      `BEARER ${TOKEN}`,
      `  Bearer ${TOKEN}  `,
      `Bearer   ${TOKEN}`,
    ]) {
      const response = await diagnostics(server, header);
      expect({ header, status: response.status }).toEqual({ header, status: 200 });
      await response.body?.cancel();
    }
  });

  it(
    'fails with 401 and WWW-Authenticate: Bearer for missing, empty, wrong, re-cased, truncated, ' +
      'extended or smuggled tokens',
    async () => {
      const refused = [
        undefined,
        '',
        'Bearer',
        'Bearer ',
        `Bearer ${TOKEN.toLowerCase()}`,
        `Bearer ${TOKEN.toUpperCase()}`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN}x`,
        `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
        `Token ${TOKEN}`,
        TOKEN,
        `Bearer "${TOKEN}"`,
        `Bearer ${TOKEN}, Bearer ${TOKEN}`,
        `Bearer\t${TOKEN}`,
        `Bearer ${'A'.repeat(8000)}`,
      ];
      for (const header of refused) {
        const response = await diagnostics(server, header);
        expect({
          header,
          status: response.status,
          challenge: response.headers.get('www-authenticate'),
        }).toEqual({ header, status: 401, challenge: 'Bearer' });
        expect(await response.text()).not.toContain('pool');
      }
    },
  );

  it('fails with 401 when the token comes in the query string or another header instead of Authorization', async () => {
    for (const suffix of [`?token=${TOKEN}`, `?access_token=${TOKEN}`, `?authorization=Bearer%20${TOKEN}`]) {
      expect((await diagnostics(server, undefined, suffix)).status).toBe(401);
    }
    const response = await fetch(`${server.url}${HEALTH_PATHS.diagnostics}`, {
      headers: { 'x-authorization': `Bearer ${TOKEN}`, cookie: `token=${TOKEN}` },
    });
    expect(response.status).toBe(401);
  });

  it(
    'uses only the first of duplicated Authorization headers, ' +
      'so a wrong one cannot be followed by a right one',
    async () => {
      expect(
        await rawStatus(
          server.port,
          request([`Authorization: Bearer wrong`, `Authorization: Bearer ${TOKEN}`]),
        ),
      ).toBe(401);
      expect(await rawStatus(server.port, request([`Authorization: Bearer ${TOKEN}`]))).toBe(200);
    },
  );

  it('rejects oversized headers, NUL bytes and non-ASCII tokens without crashing, then keeps serving', async () => {
    expect(await rawStatus(server.port, request([`Authorization: Bearer ${'a'.repeat(100_000)}`]))).toBe(431);
    expect(await rawStatus(server.port, request([`Authorization: Bearer ${TOKEN}\u0000`]))).toBe(400);
    expect(
      await rawStatus(server.port, Buffer.from(request([`Authorization: Bearer ${TOKEN}é`]), 'latin1')),
    ).toBe(401);
    expect(
      await rawStatus(
        server.port,
        Buffer.from(request([`Authorization: Bearer ${TOKEN.slice(0, -1)}\u00ff`]), 'latin1'),
      ),
    ).toBe(401);
    expect(
      await rawStatus(
        server.port,
        request(Array.from({ length: 2000 }, (_, index) => `X-Filler-${index}: x`)),
      ),
    ).toBe(431);
    const response = await diagnostics(server, `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('lets nobody into diagnostics when HEALTH_CHECK_TOKEN is empty, whatever is presented', async () => {
    expect(closedServer.url).not.toBe(server.url);
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer undefined',
      'Bearer null',
      `Bearer ${TOKEN}`,
      'Bearer ""',
    ]) {
      const response = await diagnostics(closedServer, header);
      expect({ header, status: response.status }).toEqual({ header, status: 401 });
    }
  });

  it(
    'does not silently lock diagnostics when the configured token has a trailing newline (a Secret ' +
      'made from a file)',
    async () => {
      // HTTP trims header values, so a token ending in whitespace could never be presented: refuse it at start
      // or trim it.
      let settings: Settings;
      try {
        settings = settingsFor(inject('databaseUrl'), `${TOKEN}\n`);
      } catch (error) {
        expect((error as Error).message).toMatch(/^HEALTH_CHECK_TOKEN /m);
        return;
      }
      const paddedPool = createPool(settings, { applicationName: 'reliability-diagnostics-padded' });
      const padded = await createHealthServer({ pool: paddedPool, settings, port: 0, host: '127.0.0.1' });
      try {
        const response = await diagnostics(padded, `Bearer ${TOKEN}`);
        expect(response.status).toBe(200);
        await response.body?.cancel();
      } finally {
        await padded.shutdown({ delayMillis: 0 });
        await paddedPool.end({ drainMillis: 0 });
      }
    },
  );

  it('never serves diagnostics to another method or a path variant', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(`${server.url}${HEALTH_PATHS.diagnostics}`, { method, headers });
      expect({ method, status: response.status }).toEqual({ method, status: 405 });
    }
    for (const path of [
      `${HEALTH_PATHS.diagnostics}/`,
      `${HEALTH_PATHS.diagnostics}/..`,
      '/health/./diagnostics',
      '/HEALTH/DIAGNOSTICS',
      '/health//diagnostics',
    ]) {
      const status = await rawStatus(server.port, request([], path));
      expect({ path, status }).not.toEqual({ path, status: 200 });
    }
  });
});
