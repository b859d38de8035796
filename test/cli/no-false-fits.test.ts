/**
 * The reviewer's undercounts, through the real launcher (`src/cli/bin.mjs`,
 * which runs the compiled build/): each input once reported "fits" (exit 0)
 * for a fleet that does not fit.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('src/cli/bin.mjs');
const UNDERCOUNT = 'test/fixtures/budget/undercount';

function bin(args: string[], cwd = '.'): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clientats-deploy check: no false "fits"', () => {
  it('counts a KEDA ScaledObject next to its Deployment at its maxReplicaCount', () => {
    const result = bin(['check', `${UNDERCOUNT}/keda.yaml`, '--max-connections', '100']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      '  api rollout: 63 pods (50 HPA max + 13 surge) × (1 pool × (10 + 0) + 1 probe) = 693 (630 pool + 63 probe)\n',
    );
  });
});
