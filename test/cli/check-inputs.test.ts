import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { TieredDatabaseBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import { ManifestFolder, runCheck } from '../support/run-check.js';
import { appDeployment, HAND_WRITTEN_INI } from '../support/pgbouncer-fixtures.js';

/** The real launcher; a hang (reading a FIFO, waiting on a terminal) ends at the timeout with status null. */
const BIN = resolve('src/cli/bin.mjs');
const HAND_WRITTEN = resolve('test/fixtures/budget/hand-written/clientats.yaml');
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const OVER_BUDGET =
  '  OVER BUDGET by 92: worst case 189 > 97 usable (max_connections 100 − 3 reserved): ' +
  '7 pods (6 HPA max + 1 surge) × (2 pools × (10 + 3) + 1 probe)\n';
const NOT_REGULAR =
  'not a regular file: check reads regular files only; remove it, name the files to check, ' +
  'or pipe a stream into check -';

let root: string;

function bin(
  args: string[],
  input?: string | Buffer,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh folder under the run's root, named `name`. */
function folder(name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}

function mkfifo(path: string): void {
  const result = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mkfifo ${path} failed: ${result.stderr}`);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'check-inputs-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('clientats-deploy check: which inputs are read', () => {
  it('counts an over-budget Deployment behind a symlinked folder', () => {
    cpSync(HAND_WRITTEN, join(folder('elsewhere'), 'clientats.yaml'));
    symlinkSync('../elsewhere', join(folder('linked-folder'), 'service'));
    const result = bin(['check', 'linked-folder', '--max-connections', '100']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(OVER_BUDGET);
    expect(result.stdout).toContain(
      '  ok    clientats (linked-folder/service/clientats.yaml#2): ' +
        'readiness probe timeoutSeconds 3 > READINESS_TIMEOUT_MS 1500 ms\n',
    );
  });

  it('counts a Deployment behind a symlinked file', () => {
    symlinkSync(HAND_WRITTEN, join(folder('linked-file'), 'deploy.yaml'));
    const result = bin(['check', 'linked-file', '--max-connections', '100']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(OVER_BUDGET);
    expect(result.stdout).toContain(
      '  ok    clientats (linked-file/deploy.yaml#2): readiness probe timeoutSeconds 3 > ' +
        'READINESS_TIMEOUT_MS 1500 ms\n',
    );
  });

  it('ends at a symlink loop and counts each Deployment once', () => {
    const looped = folder('loop/looped');
    cpSync(HAND_WRITTEN, join(looped, 'clientats.yaml'));
    symlinkSync('..', join(looped, 'up'));
    symlinkSync('clientats.yaml', join(looped, 'same.yaml'));
    const result = bin(['check', 'loop/looped', '--max-connections', '100']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    // Counted once: 189, not 378.
    expect(result.stdout).toContain(OVER_BUDGET);
    expect(result.stdout).toContain(
      'note: loop/looped/same.yaml: same file as loop/looped/clientats.yaml, read once\n',
    );
    expect(result.stdout).toContain(
      'note: loop/looped/up/looped: symlink loop back to loop/looped, not followed (its files are read once)\n',
    );
  });

  it('fails when a folder holds a FIFO named *.yaml, without waiting on it', () => {
    const piped = folder('piped');
    cpSync(HAND_WRITTEN, join(piped, 'clientats.yaml'));
    mkfifo(join(piped, 'pipe.yaml'));
    expect(bin(['check', 'piped', 'missing.yaml', '--max-connections', '100'])).toEqual({
      status: 2,
      stdout: '',
      stderr:
        `clientats-deploy: piped/pipe.yaml: is a FIFO (named pipe), ${NOT_REGULAR}\n` +
        'clientats-deploy: missing.yaml: no such file or directory\n',
    });
  });

  it('fails when a file is above the 10 MiB cap, before parsing it', () => {
    const big = join(folder('big'), 'huge.yaml');
    writeFileSync(big, '');
    truncateSync(big, 50 * 1024 * 1024); // sparse 50 MiB: instant
    expect(bin(['check', 'big', '--max-connections', '100'])).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'clientats-deploy: big/huge.yaml: 52428800 bytes, above the 10 MiB (10485760 bytes) ' +
        'input cap: split it into smaller files\n',
    });
  });
});

describe('clientats-deploy check - (standard input)', () => {
  it('budgets a YAML stream piped in, as from helm template or kustomize build', () => {
    const result = bin(['check', '-', '--max-connections', '100'], readFileSync(HAND_WRITTEN));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(OVER_BUDGET);
    expect(result.stdout).toContain(
      '  ok    clientats (<stdin>#2): readiness probe timeoutSeconds 3 > READINESS_TIMEOUT_MS 1500 ms\n',
    );
  });

  it('budgets a JSON List piped in, as from kubectl get -o json', () => {
    const items = parseAllDocuments(readFileSync(HAND_WRITTEN, 'utf8')).map(
      (document) => document.toJS() as unknown,
    );
    const result = bin(
      ['check', '-', '--max-connections', '200'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('  fits: rollout 189 ≤ 197 usable, 8 spare\n');
  });

  it('fails when standard input is above the cap', () => {
    expect(bin(['check', '-', '--max-connections', '100'], Buffer.alloc(11 * 1024 * 1024, 'a'))).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'clientats-deploy: -: standard input is larger than the 10 MiB (10485760 bytes) input cap: ' +
        'split it and check the parts\n',
    });
  });

  it('fails when - is given twice', () => {
    expect(bin(['check', '-', '-', '--max-connections', '100'], '')).toEqual({
      status: 2,
      stdout: '',
      stderr: 'clientats-deploy: - (standard input) given twice: it can be read once, give - once\n',
    });
  });

  it.runIf(existsSync('/usr/bin/script'))(
    'fails when standard input is a terminal instead of waiting',
    () => {
      // script(1) gives the command a pseudo-terminal; its output merges stdout and stderr with CRLF.
      const command = [process.execPath, BIN, 'check', '-', '--max-connections', '100']
        .map((word) => `'${word}'`)
        .join(' ');
      const result = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe(
        'clientats-deploy: -: standard input is a terminal, nothing is piped in: ' +
          'pipe manifests in (helm template … | clientats-deploy check - …) or name files\r\n',
      );
    },
  );
});

describe('clientats-deploy options', () => {
  it('fails when an option is given twice, naming both values', () => {
    expect(bin(['check', '--max-connections', '100', 'dist', '--max-connections=200'])).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'clientats-deploy: --max-connections given twice, "100" and "200": ' +
        'give it once (a repeated option is not last-one-wins)\n',
    });
    expect(bin(['check', '--json', '-h', '--help'])).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'clientats-deploy: --help given twice (as -h and --help): ' +
        'give it once (a repeated option is not last-one-wins)\n',
    });
  });

  it('prints the version of package.json', () => {
    expect(bin(['--version'])).toEqual({ status: 0, stdout: `clientats-deploy ${VERSION}\n`, stderr: '' });
    expect(bin(['check', '--version'])).toEqual({
      status: 0,
      stdout: `clientats-deploy ${VERSION}\n`,
      stderr: '',
    });
  });
});

describe('clientats-deploy check DIR: pgbouncer.ini files in a folder walk', () => {
  const inis = new ManifestFolder();
  afterAll(() => inis.remove());

  const INI = HAND_WRITTEN_INI;
  const bounced = (name: string, replicas: number): unknown => appDeployment(name, replicas);

  /** The folder's one database with its tiers, from --json. */
  const database = (stdout: string): TieredDatabaseBudget =>
    (JSON.parse(stdout) as { databases: TieredDatabaseBudget[] }).databases[0]!;

  it('reads a Compose file and the pgbouncer.ini it mounts as a file: one tier sized by the service', async () => {
    inis.write('compose/pgbouncer.ini', INI);
    inis.write(
      'compose/docker-compose.yml',
      stringify({
        services: {
          app: {
            image: 'clientats:1',
            deploy: { replicas: 20 },
            stop_grace_period: '20s',
            environment: { POOL_SIZE: '8', MAX_OVERFLOW: '2', DATABASE_POOLER: 'pgbouncer' },
          },
          pgbouncer: {
            image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1',
            deploy: { replicas: 2 },
            configs: [{ source: 'pgbouncer_ini', target: '/etc/pgbouncer/pgbouncer.ini' }],
          },
        },
        configs: { pgbouncer_ini: { file: './pgbouncer.ini' } },
      }),
    );
    const outcome = await runCheck('check', join(inis.path, 'compose'), '--max-connections', '100', '--json');
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const tiers = database(outcome.stdout).pgbouncer!;
    expect(tiers.map((tier) => tier.name)).toEqual(['pgbouncer']);
    // 2 bouncer containers × (20 + 5) = 50 server connections; 20 containers × 11 = 220 ≤ 2 × 400 clients.
    expect(tiers[0]!.budget.server).toMatchObject({ bouncerInstances: 2, bouncerConnections: 50, total: 50 });
    expect(tiers[0]!.budget.client).toMatchObject({ demand: 220, capacity: 800, fits: true });
  });

  it('matches the mounted ini when the walk reached it first through a symlink', async () => {
    const ini = inis.write('linked-compose/config/pgbouncer.ini', INI);
    // "a-link.ini" sorts before "config/": the walk keeps the link's path for the one file.
    symlinkSync(ini, join(inis.path, 'linked-compose/a-link.ini'));
    inis.write(
      'linked-compose/docker-compose.yml',
      stringify({
        services: {
          pgbouncer: {
            image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1',
            deploy: { replicas: 2 },
            configs: [{ source: 'pgbouncer_ini', target: '/etc/pgbouncer/pgbouncer.ini' }],
          },
        },
        configs: { pgbouncer_ini: { file: './config/pgbouncer.ini' } },
      }),
    );
    inis.write('linked-compose/app.yaml', [bounced('clientats', 4)]);
    const outcome = await runCheck(
      'check',
      join(inis.path, 'linked-compose'),
      '--max-connections',
      '100',
      '--json',
    );
    expect(outcome.stderr).toBe('');
    const tiers = database(outcome.stdout).pgbouncer!;
    expect(tiers.map((tier) => [tier.name, tier.budget.server.bouncerConnections])).toEqual([
      ['pgbouncer', 50],
    ]);
  });

  it('reads a Kustomize configMapGenerator ini with the Deployment that mounts the ConfigMap', async () => {
    inis.write('kustomize/pgbouncer.ini', INI);
    inis.write('kustomize/kustomization.yaml', [
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: ['app.yaml'],
        configMapGenerator: [{ name: 'bouncer-config', files: ['pgbouncer.ini'] }],
      },
    ]);
    inis.write('kustomize/app.yaml', [
      bounced('clientats', 20),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bouncer' },
        spec: {
          replicas: 2,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            spec: {
              containers: [{ name: 'pgbouncer', image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' }],
              volumes: [{ name: 'config', configMap: { name: 'bouncer-config' } }],
            },
          },
        },
      },
    ]);
    const outcome = await runCheck(
      'check',
      join(inis.path, 'kustomize'),
      '--max-connections',
      '100',
      '--json',
    );
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const tier = database(outcome.stdout).pgbouncer![0]!;
    expect(tier.name).toBe('bouncer');
    // 3 pods (2 + 1 surge) × 25 = 75 server connections.
    expect(tier.budget.server).toMatchObject({ bouncerInstances: 3, bouncerConnections: 75 });
  });

  it('reads manifests and an unmounted pgbouncer.ini with --pgbouncer-replicas: both tiers in the report', async () => {
    inis.write('plain/app.yaml', [bounced('clientats', 20)]);
    inis.write('plain/pgbouncer.ini', INI);
    const outcome = await runCheck(
      'check',
      join(inis.path, 'plain'),
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      '2',
    );
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain(
      'server side: 3 bouncer pods × 25 server connections + 0 direct = 75 ≤ 97 usable: fits',
    );
    // 2 bouncers + 1 surge = 3 pods × 25; 20 app pods + 5 surge = 25 × 11 = 275 ≤ 2 × 400 serving.
    expect(outcome.stdout).toContain('client side: apps behind open 275 ≤ 2 bouncers × max_client_conn 400');
  });

  it('counts a symlinked pgbouncer.ini once', async () => {
    inis.write('linked/app.yaml', [bounced('clientats', 20)]);
    const ini = inis.write('linked/pgbouncer.ini', INI);
    symlinkSync(ini, join(inis.path, 'linked/also-pgbouncer.ini'));
    const outcome = await runCheck(
      'check',
      join(inis.path, 'linked'),
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      '2',
      '--json',
    );
    expect(outcome.code).toBe(0);
    const json = JSON.parse(outcome.stdout) as { databases: TieredDatabaseBudget[]; notes: string[] };
    expect(json.databases[0]!.pgbouncer!.map((tier) => tier.budget.server.bouncerConnections)).toEqual([75]);
    expect(json.notes).toContain(
      `${join(inis.path, 'linked/pgbouncer.ini')}: same file as ` +
        `${join(inis.path, 'linked/also-pgbouncer.ini')}, read once`,
    );
  });

  it('notes an ini that is not a PgBouncer config, naming it, and budgets the rest', async () => {
    inis.write('other/app.yaml', [bounced('clientats', 20)]);
    inis.write('other/pgbouncer.ini', INI);
    inis.write('other/setup.ini', '[metadata]\nname = clientats\n');
    const outcome = await runCheck(
      'check',
      join(inis.path, 'other'),
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      '2',
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain(
      `note: ${join(inis.path, 'other/setup.ini')}: not a PgBouncer config (no [pgbouncer] or ` +
        `[databases] section): skipped\n`,
    );
  });

  it('fails when a walked pgbouncer.ini has a syntax error, naming file and line', async () => {
    inis.write('broken/app.yaml', [bounced('clientats', 20)]);
    const ini = inis.write(
      'broken/pgbouncer.ini',
      '[pgbouncer]\npool_mode = transaction\ndefault_pool_size\n',
    );
    const outcome = await runCheck(
      'check',
      join(inis.path, 'broken'),
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      '2',
    );
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toBe(
      `clientats-deploy: ${ini}:3: expected "key = value", got "default_pool_size"\n`,
    );
  });

  it('fails when a walked pgbouncer.ini is mounted by nothing and no --pgbouncer-replicas is given', async () => {
    inis.write('unsized/app.yaml', [bounced('clientats', 20)]);
    const ini = inis.write('unsized/pgbouncer.ini', INI);
    const outcome = await runCheck('check', join(inis.path, 'unsized'), '--max-connections', '100');
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      `clientats-deploy: ${ini}: a pgbouncer.ini does not say how many bouncers run it: ` +
        'give the count with --pgbouncer-replicas N (pods incl. HPA max; ' +
        '--pgbouncer-max-surge adds the rollout surge, default 1)\n',
    );
  });
});
