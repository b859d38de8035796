import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The real launcher, as `npx clientats-deploy` runs it. */
function bin(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['src/cli/bin.mjs', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('src/cli/bin.mjs', () => {
  it('exits 1 with the violation when a service is over budget', () => {
    const result = bin(
      'check',
      '--replicas',
      '10',
      '--pool-size',
      '8',
      '--max-overflow',
      '2',
      '--max-connections',
      '100',
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      'worst case 143 > 97 usable (max_connections 100 − 3 reserved): ' +
        '13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)',
    );
  });

  it('exits 2 with one line and no stack trace on bad input', () => {
    const result = bin('check', '--replicas', '-3', '--max-connections', '100');
    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr: 'clientats-deploy: --replicas must be an integer >= 0 (pods, containers or dynos), got "-3"\n',
    });
  });

  it('exits 0 when the service fits', () => {
    expect(bin('check', '--replicas', '2', '--pool-size', '10', '--max-connections', '100').status).toBe(0);
  });
});
