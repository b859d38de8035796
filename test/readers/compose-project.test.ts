import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readManifests, type InputFile } from '../../src/readers/read-manifests.js';

const file = (path: string, document: unknown, named = true): InputFile => ({
  path,
  text: stringify(document),
  named,
});

const web = {
  image: 'clientats-api:0.1.0',
  environment: { DATABASE_URL: 'postgres://u@db/x', POOL_SIZE: '10' },
};

const replicas = (inputs: ReturnType<typeof readManifests>): unknown[] =>
  inputs.files.flatMap((entry) =>
    entry.consumers.map((consumer) => [consumer.name, (consumer as { replicas?: number }).replicas]),
  );

describe('Compose projects', () => {
  it('merges the override file Compose loads next to its base file in a folder walked', () => {
    const inputs = readManifests([
      file('ov/docker-compose.override.yml', { services: { app: { deploy: { replicas: 10 } } } }, false),
      file('ov/docker-compose.yml', { services: { app: web } }, false),
      file('other/docker-compose.prod.yml', { services: { app: web } }, false),
    ]);
    expect(replicas(inputs)).toEqual([
      ['app', 10],
      ['app', 1],
    ]);
    expect(inputs.notes).toEqual([
      'ov/docker-compose.override.yml: merged into ov/docker-compose.yml (service "app"), ' +
        'as docker compose does with the override file next to its base file',
    ]);
  });

  it('merges files named together in order, environment by variable in list or map form', () => {
    const inputs = readManifests([
      file('base.yml', { services: { app: { ...web, environment: ['POOL_SIZE=10', 'POOL_COUNT=2'] } } }),
      file('prod.yml', { services: { app: { environment: { POOL_SIZE: '20' }, deploy: { replicas: 4 } } } }),
    ]);
    expect(inputs.files[0]?.consumers).toMatchObject([
      { name: 'app', source: 'base.yml', replicas: 4, pool: { poolSize: 20, poolCount: 2 } },
    ]);
    expect(inputs.notes).toEqual([
      'prod.yml: merged into base.yml (service "app"), as docker compose -f base.yml -f prod.yml ' +
        'does; check the files one at a time if they are separate projects',
    ]);
  });

  it('resolves extends in the same file and from another file read', () => {
    const inputs = readManifests([
      file('ext.yml', {
        services: {
          web: { ...web, stop_grace_period: '20s' },
          worker: { extends: { service: 'web' }, deploy: { replicas: 8 } },
          jobs: { extends: { file: 'common/base.yml', service: 'base' } },
        },
      }),
      file('common/base.yml', { services: { base: { ...web, deploy: { replicas: 3 } } } }, false),
    ]);
    expect(replicas(inputs)).toEqual([
      ['web', 1],
      ['worker', 8],
      ['jobs', 3],
      ['base', 3],
    ]);
  });

  it('fails when extends names a file that was not read', () => {
    expect(() =>
      readManifests([
        file('ext.yml', { services: { worker: { extends: { file: '../common.yml', service: 'web' } } } }),
      ]),
    ).toThrow(
      'ext.yml: service "worker" extends service "web" of "../common.yml", ' +
        'which is not among the files read: give that file to check too (or the folder that holds both)',
    );
  });

  it('fails when a service has neither image nor build: a fragment of another Compose file', () => {
    expect(() =>
      readManifests([
        file('docker-compose.override.yml', { services: { app: { deploy: { replicas: 10 } } } }),
      ]),
    ).toThrow(
      'docker-compose.override.yml: service "app" has neither image nor build, ' +
        'so Compose refuses it on its own: if it overrides a service of another Compose file, ' +
        'check both files together, base first (as docker compose -f base.yml -f ' +
        'docker-compose.override.yml loads them)',
    );
  });
});

describe('Compose interpolation', () => {
  const interpolated = file('envdir/docker-compose.yml', {
    services: {
      app: {
        ...web,
        deploy: { replicas: 3 },
        environment: { DATABASE_URL: 'postgres://u@db/x', POOL_SIZE: '${POOL_SIZE:-30}' },
      },
    },
  });

  it("takes ${VAR:-default} from the project's .env, and says so", () => {
    const read: string[] = [];
    const inputs = readManifests([interpolated], {
      readEnvFile: (composeFile, envFile) => {
        read.push(`${composeFile} ${envFile}`);
        return envFile === '.env' ? '# pool\nPOOL_SIZE=50\n' : undefined;
      },
    });
    expect(read).toEqual(['envdir/docker-compose.yml .env']);
    expect(inputs.files[0]?.consumers).toMatchObject([{ replicas: 3, pool: { poolSize: 50 } }]);
    expect(inputs.notes).toEqual([
      'envdir/docker-compose.yml: service "app" environment POOL_SIZE is "${POOL_SIZE:-30}": ' +
        'counted as "50" (POOL_SIZE from .env); a variable of the same name in the shell that runs ' +
        'docker compose overrides it',
    ]);
  });

  it('names the default it assumes when no .env sets the variable', () => {
    const inputs = readManifests([interpolated]);
    expect(inputs.files[0]?.consumers).toMatchObject([{ pool: { poolSize: 30 } }]);
    expect(inputs.notes).toEqual([
      'envdir/docker-compose.yml: service "app" environment POOL_SIZE is "${POOL_SIZE:-30}": ' +
        'counted as "30" (the default of POOL_SIZE: .env does not set it); ' +
        'a variable of the same name in the shell that runs docker compose overrides it',
    ]);
  });

  it('counts DATABASE_URL: ${DATABASE_URL} as present, value unknown, like a Secret', () => {
    const inputs = readManifests([
      file('interp.yml', {
        services: {
          app: {
            image: 'clientats-api:0.1.0',
            environment: { DATABASE_URL: '${DATABASE_URL}', POOL_SIZE: '10' },
          },
          worker: { image: 'clientats-api:0.1.0', environment: ['DATABASE_URL_FILE=$DATABASE_URL_FILE'] },
        },
      }),
    ]);
    expect(replicas(inputs)).toEqual([
      ['app', 1],
      ['worker', 1],
    ]);
    expect(inputs.notes).toEqual([]);
  });
});
