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

  it('merges the override file next to docker-compose.yml when the folder is checked', () => {
    const result = bin(['check', '.', '--max-connections', '100'], `${UNDERCOUNT}/compose-override`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      '  app rollout: 10 containers × (1 pool × (10 + 0) + 1 probe) = 110 (100 pool + 10 probe)\n',
    );
    expect(result.stdout).toContain(
      'note: docker-compose.override.yml: merged into docker-compose.yml (service "app"), ' +
        'as docker compose does with the override file next to its base file\n',
    );
  });

  it("interpolates ${POOL_SIZE:-30} from the project's .env, as Compose does", () => {
    const result = bin(['check', '.', '--max-connections', '100'], `${UNDERCOUNT}/compose-dotenv`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      '  app rollout: 3 containers × (1 pool × (50 + 0) + 1 probe) = 153 (150 pool + 3 probe)\n',
    );
  });

  it('counts DATABASE_URL: ${DATABASE_URL} as present, value unknown', () => {
    const result = bin(['check', `${UNDERCOUNT}/compose-interpolated.yml`, '--max-connections', '100']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('  fits: rollout 11 ≤ 97 usable, 86 spare\n');
  });
});
