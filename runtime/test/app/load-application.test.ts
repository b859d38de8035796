/**
 * Loading the application module named on the command line, and checking the
 * factory's contract: every mistake is one line that names the module and
 * says what is expected.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApplicationListener, type ApplicationContext } from '../../src/app/application.js';
import { loadApplication } from '../../src/app/load-application.js';

const folder = join(tmpdir(), `clientats-app-modules-${process.pid}`);
const context = {} as ApplicationContext;

beforeAll(() => {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'good.mjs'),
    'export default () => (request, response) => response.end("ok");\n',
  );
  writeFileSync(
    join(folder, 'commonjs.cjs'),
    'module.exports = () => (request, response) => response.end("ok");\n',
  );
  writeFileSync(join(folder, 'named.mjs'), 'export const app = () => () => undefined;\n');
  writeFileSync(join(folder, 'crashes.mjs'), 'throw new Error("DATABASE_HOST is not set");\n');
});

describe('loadApplication', () => {
  it('returns the default export of a module given by a path relative to the working directory', async () => {
    const factory = await loadApplication('./good.mjs', folder);
    expect(typeof (await createApplicationListener(factory, context))).toBe('function');
  });

  it('takes a CommonJS module whose module.exports is the factory', async () => {
    expect(typeof (await loadApplication(join(folder, 'commonjs.cjs')))).toBe('function');
  });

  it('fails when the module does not exist', async () => {
    await expect(loadApplication('./missing.js', folder)).rejects.toThrow(
      `the application module "./missing.js" does not exist (looked for ${join(folder, 'missing.js')}): ` +
        'pass the path of the compiled server module, e.g. clientats-runtime ./build/server.js',
    );
  });

  it('fails when the module has no default export function', async () => {
    await expect(loadApplication('./named.mjs', folder)).rejects.toThrow(
      'the application module "./named.mjs" must export a default function ({ pool, settings, ' +
        'logger }) => listener, got undefined',
    );
  });

  it('fails when the module throws while it loads, with the first line of its error', async () => {
    await expect(loadApplication('./crashes.mjs', folder)).rejects.toThrow(
      'the application module "./crashes.mjs" could not be loaded: DATABASE_HOST is not set',
    );
  });

  it('fails when the path is empty', async () => {
    await expect(loadApplication('', folder)).rejects.toThrow(
      'the application module must be a path like ./server.js, got ""',
    );
  });
});

describe('createApplicationListener', () => {
  it('fails when the factory returns something that is not a listener', async () => {
    await expect(
      createApplicationListener(() => ({ listen: 1 }) as never, context, 'the application "./server.js"'),
    ).rejects.toThrow(
      'the application "./server.js" must return a request listener (request, response) => void, ' +
        'got an object with keys listen: return an Express app, fastify.routing, or a function',
    );
  });

  it('fails when the factory rejects, keeping the cause', async () => {
    const cause = new Error('relation "clients" does not exist');
    const failure = await createApplicationListener(() => Promise.reject(cause), context).catch(
      (error: Error) => error,
    );
    expect(failure).toMatchObject({
      message: 'the application failed to start: relation "clients" does not exist',
      cause,
    });
  });
});
