import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_PORT, HEALTH_PATHS } from 'clientats-runtime/contract';
import { runCli } from '../src/cli/run-cli.js';
import { validateKubernetesObject } from './support/kubernetes-models.js';
import { composeSchemaErrors } from './support/compose-schema.js';
import appJsonSchema from './heroku/app-json.schema.json' with { type: 'json' };

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'clientats-main-'));
const first = join(scratch, 'first');
const second = join(scratch, 'second');

/** Runs `src/main.ts` as `npx cdk8s synth` does: CDK8S_OUTDIR names the output directory. */
async function synthInto(outdir: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, CDK8S_OUTDIR: outdir },
    timeout: 60_000,
  });
  return stdout;
}

/** Every file under a directory: relative path → content. */
function filesUnder(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of readdirSync(directory, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = join(directory, path);
    if (statSync(full).isFile()) files.set(path.split('\\').join('/'), readFileSync(full, 'utf8'));
  }
  return files;
}

type KubeObject = { kind: string; spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

function manifest(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(join(first, file), 'utf8')).map(
    (document) => document.toJS() as KubeObject,
  );
}

function containerEnv(file: string): Record<string, string> {
  const deployment = manifest(file).find((object) => object.kind === 'Deployment');
  const env = deployment?.spec.template.spec.containers[0].env as { name: string; value?: string }[];
  return Object.fromEntries(
    env.flatMap((variable) => (variable.value === undefined ? [] : [[variable.name, variable.value]])),
  );
}

beforeAll(async () => {
  await synthInto(first);
  await synthInto(second);
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('src/main.ts', () => {
  it('writes every environment of the guide', () => {
    expect([...filesUnder(first).keys()]).toEqual(
      expect.arrayContaining([
        'small.k8s.yaml',
        'medium.k8s.yaml',
        'large.k8s.yaml',
        'kubernetes.k8s.yaml',
        'kubernetes-autoscaled.k8s.yaml',
        'docker-compose.dev.yml',
        'docker-compose.prod.yml',
        'heroku/clientats-prod/app.json',
        'heroku/clientats-prod/Procfile',
        'heroku/clientats-prod/config.sh',
      ]),
    );
  });

  it('writes the same files on every run', () => {
    expect(filesUnder(second)).toEqual(filesUnder(first));
  });

  it('wrote the committed dist/ (run `npm run synth` after changing main.ts)', () => {
    expect(existsSync('dist')).toBe(true);
    expect(filesUnder('dist')).toEqual(filesUnder(first));
  });

  it('reproduces the guide presets in their environments', () => {
    const tls = { DATABASE_SSL: 'verify-full' };
    expect(containerEnv('small.k8s.yaml')).toEqual({
      NODE_ENV: 'production',
      POOL_SIZE: '5',
      POOL_COUNT: '1',
      MAX_OVERFLOW: '0',
      POOL_TIMEOUT: '5000',
      ...tls,
    });
    expect(containerEnv('medium.k8s.yaml')).toEqual({
      NODE_ENV: 'production',
      POOL_SIZE: '10',
      POOL_COUNT: '1',
      MAX_OVERFLOW: '2',
      POOL_TIMEOUT: '5000',
      ...tls,
    });
    expect(containerEnv('large.k8s.yaml')).toEqual({
      NODE_ENV: 'production',
      POOL_SIZE: '20',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '10',
      POOL_TIMEOUT: '10000',
      ...tls,
    });
    expect(containerEnv('kubernetes.k8s.yaml')).toEqual({
      NODE_ENV: 'production',
      POOL_SIZE: '10',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '3',
      POOL_TIMEOUT: '8000',
      DATABASE_SSL: 'true',
    });
  });

  it('reproduces the guide Kubernetes Deployment with 3 replicas and its probes', () => {
    const deployment = manifest('kubernetes.k8s.yaml').find((object) => object.kind === 'Deployment');
    expect(deployment?.spec.replicas).toBe(3);
    const container = deployment?.spec.template.spec.containers[0];
    expect(container.image).toBe('clientats-api:0.1.0');
    expect(container.readinessProbe.httpGet).toEqual({
      path: HEALTH_PATHS.readiness,
      port: DEFAULT_PORT,
      scheme: 'HTTP',
    });
    expect(container.livenessProbe.httpGet).toEqual({
      path: HEALTH_PATHS.liveness,
      port: DEFAULT_PORT,
      scheme: 'HTTP',
    });
  });

  it('runs clientats-api:<runtime version> with IfNotPresent in every manifest and Compose file', () => {
    const version = (JSON.parse(readFileSync('runtime/package.json', 'utf8')) as { version: string }).version;
    const files = filesUnder(first);
    const manifests = [...files.keys()].filter((path) => path.endsWith('.k8s.yaml'));
    const composeFiles = [...files.keys()].filter((path) => path.startsWith('docker-compose.'));
    expect(manifests).toHaveLength(6);
    expect(composeFiles).toHaveLength(2);
    for (const path of manifests) {
      for (const container of manifest(path)
        .filter((object) => object.kind === 'Deployment')
        .flatMap(
          (object) => object.spec.template.spec.containers as { image: string; imagePullPolicy: string }[],
        )) {
        if (!container.image.startsWith('clientats')) continue; // e.g. a PgBouncer sidecar's own image
        expect([path, container.image, container.imagePullPolicy]).toEqual([
          path,
          `clientats-api:${version}`,
          'IfNotPresent',
        ]);
      }
    }
    for (const path of composeFiles) {
      expect([path, parse(files.get(path) ?? '').services.app.image]).toEqual([
        path,
        `clientats-api:${version}`,
      ]);
    }
    expect(parse(files.get('docker-compose.prod.yml') ?? '').services.app.pull_policy).toBe('missing');
    expect(
      [...files.values()].filter((content) => /:latest\b|imagePullPolicy: Always/.test(content)),
    ).toEqual([]);
  });

  it('wires HEALTH_CHECK_TOKEN from a secret store in every environment and names it in every header', () => {
    const files = filesUnder(first);
    for (const [path, content] of files) {
      if (path.endsWith('.k8s.yaml')) {
        const deployments = manifest(path).filter(
          (object) =>
            object.kind === 'Deployment' &&
            (object.spec.template.spec.containers[0] as { name: string }).name === 'app',
        );
        for (const deployment of deployments) {
          expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
            name: 'HEALTH_CHECK_TOKEN',
            valueFrom: { secretKeyRef: { name: 'clientats-health', key: 'HEALTH_CHECK_TOKEN' } },
          });
        }
        expect(content).toMatch(/^# [^\n]*\n(# [^\n]*\n)*# +kubectl create secret generic clientats-health /);
      } else if (path.startsWith('docker-compose.')) {
        expect(parse(content).services.app.environment.HEALTH_CHECK_TOKEN).toMatch(
          /^\$\{CLIENTATS_HEALTH_CHECK_TOKEN:\?/,
        );
        expect(content).toContain('#   export CLIENTATS_HEALTH_CHECK_TOKEN="$(openssl rand -hex 32)"\n');
      }
    }
    expect(
      JSON.parse(files.get('heroku/clientats-prod/app.json') ?? '{}').env.HEALTH_CHECK_TOKEN,
    ).toMatchObject({ generator: 'secret' });
    expect(files.get('heroku/clientats-prod/config.sh')).toContain(
      '# REQUIRED config var HEALTH_CHECK_TOKEN',
    );
  });

  it('connects every production environment with TLS, or prints why not', async () => {
    const stdout = await synthInto(join(scratch, 'notes'));
    const optOuts = stdout
      .split('\n')
      .filter((line) => line.startsWith('note: ') && line.includes('without TLS'));
    const encrypting = new Set(['true', '1', 'require', 'verify-ca', 'verify-full']);
    const files = filesUnder(first);
    const insecure: string[] = [];
    for (const path of [...files.keys()].filter((name) => name.endsWith('.k8s.yaml'))) {
      const env = containerEnv(path);
      if (env.NODE_ENV === 'production' && !encrypting.has(env.DATABASE_SSL ?? '')) insecure.push(path);
    }
    const prod = parse(files.get('docker-compose.prod.yml') ?? '').services.app.environment as Record<
      string,
      string
    >;
    if (!encrypting.has(prod.DATABASE_SSL ?? '')) insecure.push('docker-compose.prod.yml');
    for (const path of [...files.keys()].filter((name) => name.endsWith('/app.json'))) {
      const env = (JSON.parse(files.get(path)!) as { env: Record<string, unknown> }).env;
      if (!encrypting.has(String(env.DATABASE_SSL ?? ''))) insecure.push(path.split('/')[1]!);
    }
    expect(JSON.parse(files.get('heroku/clientats-prod/app.json') ?? '{}').env.DATABASE_SSL).toBe('require');
    // Each environment without TLS has exactly one printed reason naming it.
    expect(
      insecure.map(
        (path) =>
          optOuts.filter((line) =>
            line.includes(`[${path.replace(/\.k8s\.yaml$|^docker-compose\.|\.yml$/g, '')}]`),
          ).length,
      ),
    ).toEqual(insecure.map(() => 1));
    expect(optOuts.length).toBe(insecure.length);
  }, 60_000);

  it('writes Kubernetes objects that kubernetes-models accepts', () => {
    const files = [...filesUnder(first).keys()].filter((path) => path.endsWith('.k8s.yaml'));
    const objects = files.flatMap(manifest);
    expect(objects.length).toBeGreaterThanOrEqual(files.length * 3);
    for (const object of objects) expect(() => validateKubernetesObject(object)).not.toThrow();
  });

  it('writes Compose files the compose-spec schema accepts', () => {
    for (const file of ['docker-compose.dev.yml', 'docker-compose.prod.yml']) {
      expect(composeSchemaErrors(parse(readFileSync(join(first, file), 'utf8')))).toEqual([]);
    }
  });

  it('writes an app.json the repository schema accepts', () => {
    const validate = new Ajv({ strict: true }).compile(appJsonSchema);
    expect(validate(JSON.parse(readFileSync(join(first, 'heroku/clientats-prod/app.json'), 'utf8')))).toBe(
      true,
    );
  });

  it('counts in `check dist` exactly what the synth report counted', async () => {
    let stdout = '';
    const code = await runCli(['check', first, '--json'], {
      stdout: {
        write: (text: string) => {
          stdout += text;
        },
      },
      stderr: { write: () => undefined },
    });
    type Report = { databases: { database: string; totals: unknown }[] };
    const checked = JSON.parse(stdout) as Report;
    const synthesized = JSON.parse(readFileSync(join(first, 'connection-budget.json'), 'utf8')) as Report;
    expect(code).toBe(0);
    expect(checked.databases.map(({ database, totals }) => ({ database, totals }))).toEqual(
      synthesized.databases.map(({ database, totals }) => ({ database, totals })),
    );
  });

  it('holds no production password in any file', () => {
    const withPassword = [...filesUnder(first)]
      .filter(
        ([, content]) =>
          /[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:[^\s@/"']+@/i.test(content) ||
          content.includes('secure_password'),
      )
      .map(([path]) => path);
    // The local development database's own password, as in the guide's development example.
    expect(withPassword).toEqual(['docker-compose.dev.yml']);
    expect(filesUnder(first).get('docker-compose.dev.yml')).toContain(
      'ecto://postgres:postgres@db:5432/clientats_dev',
    );
  });
});
