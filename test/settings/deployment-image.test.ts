import { readFileSync } from 'node:fs';
import { DEFAULT_PORT } from 'clientats-runtime/contract';
import { describe, expect, it } from 'vitest';
import { APP_COMMAND } from '../../src/settings/deployment-image.js';

/** The images and the Procfile are static files: these tests hold their copies to the one stated value. */
describe('deployment image', () => {
  it('starts the example service in its Dockerfile with APP_COMMAND', () => {
    const dockerfile = readFileSync('runtime/example/Dockerfile', 'utf8');
    const commands = dockerfile.split('\n').filter((line) => line.startsWith('CMD '));
    expect(commands).toEqual([`CMD ${JSON.stringify(APP_COMMAND.split(' ')).replaceAll('","', '", "')}`]);
  });

  it('starts the web process of the Heroku Procfile template with APP_COMMAND', () => {
    expect(readFileSync('templates/heroku/Procfile', 'utf8')).toBe(`web: ${APP_COMMAND}\n`);
  });

  it('states the runtime image port once, as the runtime default, and uses it everywhere else', () => {
    const dockerfile = readFileSync('templates/runtime.Dockerfile', 'utf8');
    expect(dockerfile.split(String(DEFAULT_PORT))).toHaveLength(2);
    expect(dockerfile).toContain(`ARG PORT=${DEFAULT_PORT}\n`);
    expect(dockerfile).toContain('PORT=${PORT}\n');
    expect(dockerfile).toContain('EXPOSE ${PORT}\n');
    expect(dockerfile).toContain("fetch('http://127.0.0.1:' + process.env.PORT + '/health')");
  });
});
