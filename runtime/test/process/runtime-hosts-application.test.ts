/**
 * `clientats-runtime ./server.js` as a real process: the example clients API
 * hosted beside the health paths, SIGTERM under HTTP load with no failed
 * request (clients stop sending once readiness says 503, as endpoints do), and the one-line
 * errors of a bad command line.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HEALTH_PATHS } from '../../src/contract/http-contract.js';
import { spawnRuntime, type RuntimeProcess } from '../support/runtime-process.js';
import { createScratchDatabase, freePort } from '../support/test-database.js';

// The compiled example (`npm run build`, run by `pretest`): the bin runs compiled JavaScript, as the image does.
const EXAMPLE = 'runtime/example/build/server.js';
const started: RuntimeProcess[] = [];
let scratch: { url: string; close(): Promise<void> };

beforeAll(async () => {
  scratch = await createScratchDatabase(inject('databaseUrl'), `hosting_${process.pid}`);
});
afterAll(async () => {
  for (const runtime of started.splice(0)) await runtime.stop();
  await scratch?.close();
});

const run = (env: Record<string, string>, args: string[]): RuntimeProcess => {
  const runtime = spawnRuntime(env, 'bin', args);
  started.push(runtime);
  return runtime;
};

/** Outcome of one request: its status, or the network error code. */
async function attempt(
  url: string,
  init?: RequestInit,
  onResponse?: (response: Response) => void,
): Promise<number | string> {
  try {
    const response = await fetch(url, init);
    onResponse?.(response);
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).message;
  }
}

describe('clientats-runtime APP_MODULE', () => {
  it(
    'hosts the example clients API; SIGTERM under load fails no request, tells clients to reconnect, ' +
      'exits 0',
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const runtime = run(
        {
          DATABASE_URL: scratch.url,
          PORT: String(port),
          POOL_SIZE: '2',
          SHUTDOWN_DELAY_MS: '3000',
          READINESS_INTERVAL_MS: '200',
        },
        [EXAMPLE],
      );
      await runtime.waitForLog('health server listening');
      expect(runtime.lines.map((line) => line.msg)).toContain('clients API: migrations applied');
      const created = await fetch(`${base}/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }),
      });
      expect(created.status).toBe(201);
      const ada = (await created.json()) as { id: number };
      expect(await (await fetch(`${base}/clients/${ada.id}`)).json()).toMatchObject({
        id: ada.id,
        name: 'Ada',
        email: 'ada@example.com',
      });
      expect((await fetch(`${base}${HEALTH_PATHS.liveness}`)).status).toBe(200);

      // Load: 8 loops of reads and writes behind a stand-in for the Service's endpoints, which stops routing
      // new requests here once readiness answers 503 (what Kubernetes does during SHUTDOWN_DELAY_MS).
      const outcomes: { outcome: number | string; afterSigterm: boolean; connection: string | null }[] = [];
      let routed = true;
      let signalled = false;
      let sequence = 0;
      const loop = async (): Promise<void> => {
        for (let request = 0; request < 20_000 && routed; request += 1) {
          sequence += 1;
          const afterSigterm = signalled;
          const init: RequestInit =
            sequence % 4 === 0
              ? {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ name: 'Load', email: `load-${sequence}@example.com` }),
                }
              : {};
          const url = sequence % 4 === 0 ? `${base}/clients` : `${base}/clients/${ada.id}`;
          let connection: string | null = null;
          const outcome = await attempt(url, init, (response) => {
            connection = response.headers.get('connection');
          });
          outcomes.push({ outcome, afterSigterm, connection });
        }
      };
      const loops = Array.from({ length: 8 }, loop);
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (outcomes.length >= 200) {
            clearInterval(check);
            resolve();
          }
        }, 10);
      });
      runtime.child.kill('SIGTERM');
      await runtime.waitForLog('shutdown started');
      signalled = true;
      // Endpoints take a moment to update: a few requests still arrive after SIGTERM, then none.
      const lateCount = (): number => outcomes.filter(({ afterSigterm }) => afterSigterm).length;
      for (let poll = 0; poll < 500; poll += 1) {
        if ((await attempt(`${base}${HEALTH_PATHS.readiness}`)) === 503 && lateCount() >= 8) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      routed = false;
      await Promise.all(loops);
      expect(await runtime.exited).toBe(0);

      const failed = outcomes.filter(({ outcome }) => outcome !== 200 && outcome !== 201);
      expect(failed).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(200);
      // Answers after SIGTERM tell keep-alive clients to reconnect (elsewhere).
      const late = outcomes.filter(({ afterSigterm }) => afterSigterm);
      expect(late.length).toBeGreaterThan(0);
      expect(late.every(({ connection }) => connection === 'close')).toBe(true);
      const messages = runtime.lines.map((line) => line.msg);
      expect(messages.indexOf('shutdown: requests in flight answered')).toBeGreaterThan(
        messages.indexOf('shutdown: stopped accepting HTTP connections; draining the connection pool'),
      );
      expect(messages.indexOf('shutdown: connection pool closed')).toBeGreaterThan(
        messages.indexOf('shutdown: requests in flight answered'),
      );
      expect(runtime.stderr()).toBe('');
    },
  );

  it(
    'fails with exit code 1 and one line, before any database starts, ' +
      'when the application module does not exist',
    async () => {
      const runtime = run({ PORT: String(await freePort()) }, ['./no-such-server.js']);
      expect(await runtime.exited).toBe(1);
      expect(runtime.stderr()).toMatch(
        /^the application module "\.\/no-such-server\.js" does not exist \(looked for \/\S+\/no-such-server\.js\): pass the path of the compiled server module, e\.g\. clientats-runtime \.\/build\/server\.js\n$/,
      );
      expect(runtime.stdout()).toBe('');
    },
  );

  it('fails with exit code 2 and the usage on an unknown option', async () => {
    const runtime = run({}, ['--port=80']);
    expect(await runtime.exited).toBe(2);
    expect(runtime.stderr()).toBe(
      'clientats-runtime has no option "--port=80": usage: clientats-runtime [APP_MODULE]   (e.g. ' +
        'clientats-runtime ./build/server.js)\n',
    );
  });
});
