import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, formatJson } from '../../src/budget/budget-report.js';
import { computeBudget } from '../../src/budget/compute-budget.js';
import { runCli } from '../../src/cli/run-cli.js';

const FIXTURES = 'test/fixtures/budget';
const HAND_WRITTEN = `${FIXTURES}/hand-written/clientats.yaml`;

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, {
    stdout: { write: (text: string) => stdout.push(text) },
    stderr: { write: (text: string) => stderr.push(text) },
  });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

describe('clientats-deploy check on manifests', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('finds the violation of a hand-written Deployment with an HPA and a ConfigMap', async () => {
    const result = await run('check', HAND_WRITTEN, '--max-connections', '100');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      '  OVER BUDGET by 92: worst case 189 > 97 usable (max_connections 100 − 3 reserved): ' +
        '7 pods (6 HPA max + 1 surge) × (2 pools × (10 + 3) + 1 probe)\n',
    );
    expect(result.stdout).toContain(
      '  clientats steady: 6 pods (HPA max) × (2 pools × (10 + 3) + 1 probe) = 162 (156 pool + 6 probe)\n',
    );
  });

  it('exits 0 when the same manifest fits a larger server', async () => {
    const result = await run('check', HAND_WRITTEN, '--max-connections', '200', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { fits: boolean; databases: { totals: unknown }[] };
    expect(report.fits).toBe(true);
    expect(report.databases[0].totals).toEqual({ steady: 162, rollout: 189, strict: 324 });
  });

  it("fails a Compose file whose stop_grace_period is shorter than the runtime's shutdown", async () => {
    const result = await run('check', `${FIXTURES}/compose/docker-compose.yml`, '--max-connections', '100');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  fits: rollout 87 ≤ 97 usable, 10 spare\n');
    expect(result.stdout).toContain(
      '  FAIL  worker (test/fixtures/budget/compose/docker-compose.yml): ' +
        'stop_grace_period 5 s must exceed SHUTDOWN_DELAY_MS 5000 + SHUTDOWN_DRAIN_MS 10000 = 15000 ms, ' +
        'or the process is killed before it drains: raise stop_grace_period to 16 s or lower the shutdown delays\n',
    );
    expect(result.stdout.endsWith('\nresult: fits, but 1 runtime check failed\n')).toBe(true);
  });

  it('counts Heroku preboot from app.json against a provider preset', async () => {
    const result = await run('check', `${FIXTURES}/heroku`, '--provider', 'heroku:essential-2', '--markdown');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '❌ OVER BUDGET by 31: worst case 68 > 37 usable (max_connections 40 − 3 reserved): ' +
        '4 dynos (2 + 2 preboot) × (1 pool × (12 + 4) + 1 probe)',
    );
  });

  it(
    'checks a synthesized directory against the databases its connection-budget.json declares, ' +
      'hand edits included',
    async () => {
      const directory = mkdtempSync(join(tmpdir(), 'budget-dist-'));
      directories.push(directory);
      cpSync(HAND_WRITTEN, join(directory, 'clientats.k8s.yaml'));
      const declared = computeBudget(
        [
          {
            kind: 'kubernetes',
            name: 'clientats',
            replicas: 3,
            hpaMaxReplicas: 6,
            strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
            pool: { poolSize: 10, poolCount: 2, maxOverflow: 3 },
          },
          { kind: 'other', name: 'migrations', connections: 2, description: 'migration job' },
        ],
        { name: 'clientats-db', maxConnections: 200 },
      );
      const withArtifact = {
        ...declared,
        consumers: declared.consumers.map((consumer) =>
          consumer.kind === 'other' ? consumer : { ...consumer, artifact: 'clientats.k8s.yaml' },
        ),
      };
      writeFileSync(
        join(directory, 'connection-budget.json'),
        formatJson(buildReport('rollout', [withArtifact], [])),
      );
      const fits = await run('check', directory, '--json');
      expect(fits.code).toBe(0);
      expect(
        (JSON.parse(fits.stdout) as { databases: { database: string; totals: { rollout: number } }[] })
          .databases[0],
      ).toMatchObject({ database: 'clientats-db', totals: { rollout: 191 } });
      const manifest = join(directory, 'clientats.k8s.yaml');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('maxReplicas: 6', 'maxReplicas: 8'));
      const edited = await run('check', directory);
      expect(edited.code).toBe(1);
      expect(edited.stdout).toContain(
        'OVER BUDGET by 48: worst case 245 > 197 usable (max_connections 200 − 3 reserved) ' +
          'on database clientats-db: clientats 9 pods (8 HPA max + 1 surge) × (2 pools × (10 + 3) ' +
          '+ 1 probe) = 243 + migrations 2 (migration job) = 2\n',
      );
    },
  );
});

describe('clientats-deploy check on flags', () => {
  it('reports the guide\'s "10 pods × (8 + 2) = 100" plan over budget on a 100-connection server', async () => {
    const result = await run(
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
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '  OVER BUDGET by 46: worst case 143 > 97 usable (max_connections 100 − 3 reserved): ' +
        '13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)\n',
    );
  });

  it('passes with --max-surge 0 and room to spare, and enforces the strict case on request', async () => {
    // 3 × (16 + 1) = 51 during a rollout without surge; 6 × 17 = 102 > 97 with the old pods terminating.
    const args = [
      'check',
      '--replicas',
      '3',
      '--pool-size',
      '16',
      '--max-surge',
      '0',
      '--max-connections',
      '100',
    ];
    expect((await run(...args)).code).toBe(0);
    expect((await run(...args, '--strict')).code).toBe(1);
  });

  it('counts HPA max, reserved slots and headroom', async () => {
    const result = await run(
      'check',
      '--replicas',
      '2',
      '--hpa-max',
      '4',
      '--pool-size',
      '5',
      '--max-connections',
      '40',
      '--reserved',
      '5',
      '--headroom',
      '5',
      '--json',
    );
    const report = JSON.parse(result.stdout) as {
      databases: { usable: number; totals: { rollout: number } }[];
    };
    expect(report.databases[0]).toMatchObject({ usable: 30, totals: { rollout: 30 } });
    expect(result.code).toBe(0);
  });
});

describe('clientats-deploy plan and providers', () => {
  it('plans the largest POOL_SIZE with the arithmetic', async () => {
    const result = await run('plan', '--replicas', '10', '--max-overflow', '2', '--max-connections', '100');
    expect(result).toEqual({
      code: 0,
      stdout:
        'largest POOL_SIZE that fits: 4 — rollout 91 ≤ 97 usable (max_connections 100 − 3 reserved): ' +
        '13 pods (10 replicas + 3 surge) × (1 pool × (4 + 2) + 1 probe); ' +
        'POOL_SIZE 5 would need 104 > 97\n',
      stderr: '',
    });
  });

  it('plans the largest HPA maxReplicas', async () => {
    const result = await run(
      'plan',
      '--solve',
      'hpa-max',
      '--pool-size',
      '8',
      '--max-overflow',
      '2',
      '--max-connections',
      '100',
    );
    expect(result.stdout).toBe(
      'largest HPA maxReplicas that fits: 6 — rollout 88 ≤ 97 usable (max_connections 100 − 3 ' +
        'reserved): 8 pods (6 HPA max + 2 surge) × (1 pool × (8 + 2) + 1 probe); ' +
        'HPA maxReplicas 7 would need 99 > 97\n',
    );
  });

  it('exits 1 when nothing fits', async () => {
    expect((await run('plan', '--replicas', '50', '--max-connections', '40')).code).toBe(1);
  });

  it('lists the provider presets', async () => {
    const result = await run('providers');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^heroku:standard-0 +120 +3 +117 +verify$/m);
    expect(result.stdout).toMatch(/^azure:b1ms +50 +15 +35$/m);
  });

  it('prints help', async () => {
    const result = await run('check', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Exit 0 fits, 1 over budget or a runtime check fails, 2 bad input.');
  });
});

describe('clientats-deploy bad input', () => {
  it.each([
    [
      ['check', '--replicas', 'ten', '--max-connections', '100'],
      '--replicas must be an integer >= 0 (pods, containers or dynos), got "ten"',
    ],
    [
      ['check', '--replicas', '3', '--pool-size', '0', '--max-connections', '100'],
      '--pool-size must be an integer from 1 to 10000 (POOL_SIZE), got "0"',
    ],
    [
      ['check', '--replicas', '3', '--max-surge', 'lots', '--max-connections', '100'],
      '--max-surge must be an integer >= 0 or a percentage like "25%" (at most 100000%), got "lots"',
    ],
    [
      ['check', '--replicas', '3', '--max-surge', '99999999999999999999', '--max-connections', '100'],
      '--max-surge must be an integer >= 0 or a percentage like "25%" (at most 100000%), got "99999999999999999999"',
    ],
    [
      ['check', '--replicas', '3', '--max-connections'],
      "--max-connections needs a value: an integer >= 1 (the server's max_connections)",
    ],
    [
      ['check', '--replicas', '3', '--max-connections', '100', '--bogus'],
      'unknown option --bogus for check: allowed are --help, --version, --json, --markdown, ' +
        '--max-connections, --provider, --database-url, --database-name, --reserved, --headroom, ' +
        '--ignore-connected, --replicas, --pool-size, --pool-count, --max-overflow, --max-surge, ' +
        '--max-unavailable, --strategy, --hpa-max, --platform, --strict, --preboot, --nodes, ' +
        '--pgbouncer-replicas, --pgbouncer-max-surge, --pgbouncer-users, --format, --baseline',
    ],
    [
      ['check', '--replicas', '3'],
      'no database given: pass --max-connections N, --provider NAME or --database-url URL',
    ],
    [
      ['check', '--replicas', '3', '--max-connections', '100', '--provider', 'heroku:standard-0'],
      '--max-connections, --provider and --database-url are alternatives: give one, ' +
        'got --max-connections and --provider',
    ],
    [
      ['check', '--replicas', '3', '--provider', 'heroku:hobby'],
      '--provider must be a preset name (list them with: clientats-deploy providers) ' +
        'or aws-rds:<N>gib or digitalocean:<N>gib, got "heroku:hobby"',
    ],
    [
      ['check', '--replicas', '3', '--database-url', 'mysql://root:hunter2@db/app'],
      '--database-url must be a postgres://, postgresql:// or ecto:// URL, got "mysql://root:***@db/app"',
    ],
    [
      ['check', '--replicas', '3', '--max-connections', '100', '--json', '--markdown'],
      '--json and --markdown are alternatives: give one of them',
    ],
    [
      ['check'],
      'nothing to check: give files or directories (e.g. dist) ' +
        'or describe a service with --replicas, --pool-size, --pool-count, --max-overflow',
    ],
    [
      ['check', 'test/fixtures/budget/missing.yaml', '--max-connections', '100'],
      'test/fixtures/budget/missing.yaml: no such file or directory',
    ],
    [
      ['check', HAND_WRITTEN],
      'no database given: pass --max-connections N, --provider NAME or --database-url URL (or check ' +
        'a synthesized dist/ holding connection-budget.json)',
    ],
    [
      ['check', `${FIXTURES}/bad/malformed.yaml`, '--max-connections', '100'],
      `${FIXTURES}/bad/malformed.yaml: not valid YAML at line 6, column 1: ` +
        'Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      ['check', `${FIXTURES}/bad/app.json`, '--max-connections', '100'],
      `${FIXTURES}/bad/app.json: not valid JSON: Expected ',' or '}' after property value in JSON at position 42`,
    ],
    [
      ['check', `${FIXTURES}/bad/service-only.yaml`, '--max-connections', '100'],
      `${FIXTURES}/bad/service-only.yaml: has no Deployment, StatefulSet, ReplicaSet, ` +
        'ReplicationController, DaemonSet, Pod, Job, CronJob, HorizontalPodAutoscaler, ScaledObject, ' +
        'ConfigMap, Secret (found Service): nothing the budget reads',
    ],
    [
      ['check', `${FIXTURES}/bad/replicas-word.yaml`, '--max-connections', '100'],
      `${FIXTURES}/bad/replicas-word.yaml: Deployment "clientats" spec.replicas must be an integer >= 0, got "three"`,
    ],
    [
      ['check', `${FIXTURES}/bad/pool-size-zero.yaml`, '--max-connections', '100'],
      `${FIXTURES}/bad/pool-size-zero.yaml: Deployment "clientats" container "app": ` +
        'POOL_SIZE must be an integer from 1 to 10000, got "0"',
    ],
    [
      ['check', '--platform', 'heroku', '--replicas', '2', '--max-surge', '1', '--max-connections', '100'],
      '--max-surge applies to --platform kubernetes only, got --platform heroku',
    ],
    [
      ['plan', '--replicas', '3', '--pool-size', '5', '--max-connections', '100'],
      '--pool-size is what plan computes: leave it out (or use --solve hpa-max)',
    ],
    [['deploy'], 'unknown command "deploy": use one of check, plan, providers'],
  ])('fails with exit 2 and one line for %j', async (argv, message) => {
    const result = await run(...argv);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `clientats-deploy: ${message}\n` });
  });
});
