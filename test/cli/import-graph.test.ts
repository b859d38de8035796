/**
 * The layering the folder tree promises, read from the import statements:
 * the CLI never loads cdk8s (every command stays fast), and `src/budget` is
 * pure arithmetic and report types (no cdk8s, file system or database driver).
 * Then what the compiled CLI really loads, per command, recorded by a module
 * hook in the spawned process: no cdk8s, no pg without --database-url, no
 * schema compiler (ajv's core) ever, no YAML parser for `providers` or `--help`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module reachable from `entry` (relative imports followed), with the packages each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [resolve(REPOSITORY, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map(
      (match) => match[1] ?? match[2] ?? match[3],
    );
    graph.set(
      file,
      specifiers.filter((specifier) => !specifier.startsWith('.')),
    );
    for (const specifier of specifiers.filter((candidate) => candidate.startsWith('.'))) {
      if (specifier.endsWith('.json')) continue;
      pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return graph;
}

function offenders(graph: Map<string, string[]>, forbidden: RegExp): string[] {
  return [...graph].flatMap(([file, packages]) =>
    packages
      .filter((name) => forbidden.test(name))
      .map((name) => `${relative(REPOSITORY, file)} imports ${name}`),
  );
}

describe('import graph', () => {
  it('keeps cdk8s and constructs out of everything the CLI loads', () => {
    const graph = importGraph('src/cli/main.ts');
    expect(graph.size).toBeGreaterThan(10);
    expect(offenders(graph, /^(cdk8s|cdk8s-plus-\d+|constructs)$/)).toEqual([]);
  });

  it('keeps src/budget free of cdk8s, the file system and the database driver', () => {
    const budget = join(REPOSITORY, 'src/budget');
    const graph = new Map<string, string[]>();
    for (const name of readdirSync(budget).filter((file) => file.endsWith('.ts'))) {
      for (const [file, packages] of importGraph(join('src/budget', name))) graph.set(file, packages);
    }
    expect([...graph.keys()].every((file) => file.startsWith(budget))).toBe(true);
    expect(offenders(graph, /^(cdk8s|cdk8s-plus-\d+|constructs|pg|node:fs|fs|node:fs\/promises)$/)).toEqual(
      [],
    );
  });
});

/**
 * Preloaded with `--import`: records every ES module the process loads (a load
 * hook) and every CommonJS module (`require.cache`), written as JSON at exit.
 */
const RECORDER = `
import { createRequire, register } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const loaded = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => loaded.add(url.startsWith('file:') ? fileURLToPath(url) : url));
port1.unref();
register(
  'data:text/javascript,' +
    encodeURIComponent(
      'let port; export function initialize(data) { port = data.port; }' +
        'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }',
    ),
  { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] },
);
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  for (const file of Object.keys(cache)) loaded.add(file);
  writeFileSync(process.env.RECORD_MODULES_TO, JSON.stringify([...loaded]));
});
`;

describe('modules the compiled CLI loads', () => {
  const directory = mkdtempSync(join(tmpdir(), 'clientats-modules-'));
  const recorder = join(directory, 'record-modules.mjs');
  writeFileSync(recorder, RECORDER);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  /** Runs `node src/cli/bin.mjs ...args` and returns its exit status and the files it loaded. */
  function loadedBy(...args: string[]): { status: number | null; files: string[]; packages: string[] } {
    const output = join(directory, `${args.join('_').replace(/\W/g, '-')}.json`);
    const result = spawnSync(
      process.execPath,
      ['--import', pathToFileURL(recorder).href, 'src/cli/bin.mjs', ...args],
      {
        cwd: REPOSITORY,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, RECORD_MODULES_TO: output },
      },
    );
    expect(result.stderr).toBe('');
    const files = (JSON.parse(readFileSync(output, 'utf8')) as string[]).map((file) =>
      file.startsWith('/') ? relative(REPOSITORY, file) : file,
    );
    const packages = [
      ...new Set(
        files.flatMap((file) => {
          const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
          return name === undefined ? [] : [name];
        }),
      ),
    ].sort();
    return { status: result.status, files, packages };
  }

  it('runs check dist on compiled code with js-yaml (no yaml library), no cdk8s, no pg and no schema compiler', () => {
    const { status, files, packages } = loadedBy('check', 'dist');
    expect(status).toBe(0);
    expect(files).toContain('build/cli/check-command.js');
    expect(files).toContain('runtime/build/contract/settings-validator.generated.js');
    expect(files.filter((file) => file.startsWith('src/') && file !== 'src/cli/bin.mjs')).toEqual([]);
    expect(files.filter((file) => /\.ts$/.test(file))).toEqual([]);
    // ajv's runtime helpers only (the generated validator's); ajv.js/core.js would mean a schema compiled now.
    expect(files.filter((file) => file.includes('node_modules/ajv/'))).toEqual([
      'node_modules/ajv/dist/runtime/ucs2length.js',
    ]);
    expect(packages).toEqual(['ajv', 'js-yaml', 'pg-connection-string']);
    // Formats and commands not asked for stay unloaded.
    for (const file of ['build/cli/plan-command.js', 'build/observability/budget-mermaid.js'])
      expect(files).not.toContain(file);
  });

  it('loads neither the YAML parser nor the readers of files for providers, --help and plan', () => {
    for (const args of [['providers'], ['--help'], ['plan', '--replicas', '3', '--max-connections', '100']]) {
      const { status, files, packages } = loadedBy(...args);
      expect({ args, status, packages }).toEqual({
        args,
        status: 0,
        packages: ['ajv', 'pg-connection-string'],
      });
      expect(files.filter((file) => file.includes('node_modules/ajv/'))).toEqual([
        'node_modules/ajv/dist/runtime/ucs2length.js',
      ]);
      expect(files).not.toContain('build/readers/read-manifests.js');
      expect(files).not.toContain('build/cli/check-command.js');
    }
  });
});
