/**
 * Hostile input to `clientats-deploy check` (fast-check): malformed YAML and
 * JSON, wrong kinds, missing fields, absurd numbers, binary garbage, alias
 * bombs and odd flags. Every case ends in a report (exit 0 or 1) or in exit 2
 * with exactly one line on stderr, never an exception, a stack trace or a
 * hang. `runCli` runs in-process; one test spawns the real bin.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
/** A run still going after this long is a hang. */
const HANG_GUARD_MILLIS = 10_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process; rejects if it throws or has not finished within the hang guard. */
async function cli(argv: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: {
      write: (text: string) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`clientats-deploy ${argv.join(' ')} still running after ${HANG_GUARD_MILLIS} ms`)),
      HANG_GUARD_MILLIS,
    );
  });
  try {
    const code = await Promise.race([runCli(argv, io), guard]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** The contract of every outcome: a report, or exit 2 with one clear line and no stack trace. */
function expectClean(outcome: Outcome, argv: readonly string[]): void {
  expect([0, 1, 2], `exit code of ${argv.join(' ')}`).toContain(outcome.code);
  if (outcome.code === 2) {
    expect(outcome.stderr).toMatch(/^clientats-deploy: [^\n]+\n$/);
    expect(outcome.stdout).toBe('');
  } else {
    expect(outcome.stdout.length).toBeGreaterThan(0);
  }
  expect(`${outcome.stdout}${outcome.stderr}`).not.toMatch(
    /\n\s+at .+:\d+:\d+|node:internal|TypeError|ReferenceError|RangeError/,
  );
}

/** Numbers a hand-edited manifest might carry. */
const absurdNumber = fc.oneof(
  fc.constantFrom(-1, 0, 1.5, Number.POSITIVE_INFINITY, -0, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21),
  fc.integer({ min: -1000, max: 100_000 }),
  fc.constantFrom(
    '10',
    ' 10 ',
    '1e3',
    'abc',
    '',
    '0x10',
    '-5',
    '999999999999999999999',
    'NaN',
    'Infinity',
    '${POOL_SIZE}',
    '10%',
  ),
  fc.constantFrom(null, true, [], {}),
);

const container = fc.record(
  {
    name: fc.constantFrom('app', '', 'x'),
    env: fc.oneof(
      fc.array(
        fc.record(
          {
            name: fc.constantFrom('POOL_SIZE', 'POOL_COUNT', 'MAX_OVERFLOW', 'DATABASE_URL', 'PORT', ''),
            value: absurdNumber,
          },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 5 },
      ),
      fc.constantFrom(null, 'POOL_SIZE=10', {}),
    ),
  },
  { requiredKeys: [] },
);

const kubernetesObject = fc.record(
  {
    apiVersion: fc.constantFrom('apps/v1', 'v1', 'autoscaling/v2', '', 7),
    kind: fc.constantFrom(
      'Deployment',
      'HorizontalPodAutoscaler',
      'ConfigMap',
      'Service',
      'Secret',
      'deployment',
      'Pod',
      '',
      null,
    ),
    metadata: fc.oneof(
      fc.record({ name: fc.constantFrom('app', '', 'x'.repeat(300)) }, { requiredKeys: [] }),
      fc.constant(null),
    ),
    spec: fc.oneof(
      fc.record(
        {
          replicas: absurdNumber,
          minReplicas: absurdNumber,
          maxReplicas: absurdNumber,
          scaleTargetRef: fc.record({
            kind: fc.constant('Deployment'),
            name: fc.constantFrom('app', 'other'),
          }),
          strategy: fc.oneof(
            fc.record(
              {
                type: fc.constantFrom('RollingUpdate', 'Recreate', 'Bogus'),
                rollingUpdate: fc.record(
                  { maxSurge: absurdNumber, maxUnavailable: absurdNumber },
                  { requiredKeys: [] },
                ),
              },
              { requiredKeys: [] },
            ),
            fc.constant(null),
          ),
          template: fc.oneof(
            fc.record({
              spec: fc.record(
                { containers: fc.oneof(fc.array(container, { maxLength: 3 }), fc.constant(null)) },
                { requiredKeys: [] },
              ),
            }),
            fc.constant(null),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.constantFrom(null, 'spec', 42),
    ),
    data: fc.dictionary(fc.constantFrom('POOL_SIZE', 'POOL_COUNT', 'MAX_OVERFLOW'), absurdNumber.map(String)),
  },
  { requiredKeys: [] },
);

const composeFile = fc.record(
  {
    services: fc.oneof(
      fc.dictionary(
        fc.constantFrom('app', 'db', 'worker'),
        fc.record(
          {
            image: fc.constantFrom('clientats:latest', ''),
            environment: fc.oneof(
              fc.dictionary(
                fc.constantFrom('POOL_SIZE', 'POOL_COUNT', 'MAX_OVERFLOW', 'DATABASE_URL'),
                absurdNumber,
              ),
              fc.array(fc.constantFrom('POOL_SIZE=5', 'POOL_SIZE', '=5', 'MAX_OVERFLOW=-1')),
            ),
            deploy: fc.record({ replicas: absurdNumber }, { requiredKeys: [] }),
            env_file: fc.constantFrom('missing.env', '../../../etc/passwd', '/dev/zero'),
          },
          { requiredKeys: [] },
        ),
      ),
      fc.constantFrom(null, [], 'app'),
    ),
  },
  { requiredKeys: [] },
);

const herokuAppJson = fc.record(
  {
    name: fc.constantFrom('clientats', ''),
    formation: fc.oneof(
      fc.record(
        {
          web: fc.record(
            { quantity: absurdNumber, size: fc.constantFrom('standard-1x', '') },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
      fc.constantFrom(null, [], 'web'),
    ),
    env: fc.oneof(
      fc.dictionary(
        fc.constantFrom('POOL_SIZE', 'POOL_COUNT', 'MAX_OVERFLOW'),
        fc.oneof(absurdNumber, fc.record({ value: absurdNumber })),
      ),
      fc.constant(null),
    ),
  },
  { requiredKeys: [] },
);

/** "Billion laughs": nine aliases nested six deep, 9^6 nodes once expanded. */
const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...['b', 'c', 'd', 'e'].map(
    (name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcd'[index]}`).join(',')}]`,
  ),
  `f: [${Array(9).fill('*e').join(',')}]`,
  '',
].join('\n');

/** Raw file texts: broken syntax, garbage and denial-of-service shapes. */
const brokenText = fc.oneof(
  fc.constantFrom(
    '',
    '\n',
    '---\n---\n',
    'key: [unclosed',
    'a: "unterminated',
    '\tkind: Deployment\n\t\tspec: {}',
    ': : :',
    '{"json": ',
    '[1, 2,',
    'null',
    '42',
    '"string"',
    'kind: Deployment\nkind: Deployment\n',
    '%YAML 9.9\n---\na: 1',
    '!!binary AAAA',
    '!<tag:yaml.org,2002:js/function> "function(){}"',
    ALIAS_BOMB,
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'- '.repeat(3000)}x`,
    '\u0000\u0001\u0002',
    '\ufeffkind: Deployment',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

const fileCase = fc.oneof(
  fc.tuple(
    fc.constantFrom('deploy.yaml', 'deploy.yml'),
    fc
      .array(kubernetesObject, { minLength: 1, maxLength: 3 })
      .map((objects) => objects.map((object) => stringify(object)).join('---\n')),
  ),
  fc.tuple(
    fc.constantFrom('docker-compose.yml', 'compose.yaml'),
    composeFile.map((document) => stringify(document)),
  ),
  fc.tuple(
    fc.constant('app.json'),
    herokuAppJson.map((document) => JSON.stringify(document)),
  ),
  fc.tuple(
    fc.constantFrom('broken.yaml', 'app.json', 'list.json', 'docker-compose.yml', 'connection-budget.json'),
    brokenText,
  ),
);

describe('clientats-deploy check under hostile input', () => {
  const directory = mkdtempSync(join(tmpdir(), 'clientats-cli-hostile-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  let counter = 0;

  it('ends every malformed, mistyped or absurd file in a report or one clear line with exit 2', async () => {
    await fc.assert(
      fc.asyncProperty(
        fileCase,
        fc.constantFrom(
          ['--max-connections', '100'],
          ['--max-connections', '-5'],
          ['--provider', 'nope'],
          [],
          ['--json', '--max-connections', '100'],
        ),
        async ([name, text], flags) => {
          const caseDirectory = join(directory, String(counter++));
          const file = join(caseDirectory, name);
          mkdirSync(caseDirectory, { recursive: true });
          writeFileSync(file, text);
          const argv = ['check', file, ...flags];
          expectClean(await cli(argv), argv);
          const directoryArgv = ['check', caseDirectory, ...flags];
          expectClean(await cli(directoryArgv), directoryArgv);
        },
      ),
      {
        numRuns: 250,
        // Always tried first: a JSON file broken over several lines (a parser message that quotes it must
        // stay one line),
        // and a YAML alias bomb (the parser refuses it with a ReferenceError that must not escape).
        examples: [
          [
            ['app.json', '%YAML 1.2\n---\nformation: {}\n'],
            ['--max-connections', '100'],
          ],
          [['deploy.yaml', 'kind: Deployment\nspec: [\n  unclosed\n'], []],
          [
            ['broken.yaml', ALIAS_BOMB],
            ['--max-connections', '100'],
          ],
        ],
      },
    );
  });

  it('ends every odd flag value in a verdict or one clear line with exit 2', async () => {
    const value = fc.oneof(
      fc.constantFrom(
        '-1',
        '0',
        '1.5',
        '1e3',
        'NaN',
        '',
        ' 3',
        '99999999999999999999',
        '0x10',
        '25%',
        '-25%',
        '101%',
        '%',
        'true',
        '--json',
      ),
      fc.integer({ min: -5, max: 500 }).map(String),
    );
    const flag = fc.constantFrom(
      '--replicas',
      '--pool-size',
      '--pool-count',
      '--max-overflow',
      '--max-connections',
      '--max-surge',
      '--hpa-max',
      '--bogus',
      '--replicas=',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(flag, value), { maxLength: 7 }),
        fc.boolean(),
        async (pairs, complete) => {
          const base = complete
            ? [
                '--replicas',
                '3',
                '--pool-size',
                '10',
                '--pool-count',
                '1',
                '--max-overflow',
                '0',
                '--max-connections',
                '100',
              ]
            : [];
          const argv = ['check', ...base, ...pairs.flat()];
          expectClean(await cli(argv), argv);
        },
      ),
      { numRuns: 300 },
    );
  });

  it(
    'decides fits exactly when pods × (POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + 1) ' +
      'stays within max_connections − 3, surge included',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 1, max: 30 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 10, max: 500 }),
          fc.constantFrom('0', '1', '25%', '50%', '100%'),
          async (replicas, poolSize, poolCount, maxOverflow, maxConnections, maxSurge) => {
            const argv = [
              'check',
              '--replicas',
              String(replicas),
              '--pool-size',
              String(poolSize),
              '--pool-count',
              String(poolCount),
              '--max-overflow',
              String(maxOverflow),
              '--max-connections',
              String(maxConnections),
              '--max-surge',
              maxSurge,
            ];
            const outcome = await cli(argv);
            const surge = maxSurge.endsWith('%')
              ? Math.ceil((replicas * Number(maxSurge.slice(0, -1))) / 100)
              : Number(maxSurge);
            const total = (replicas + surge) * (poolCount * (poolSize + maxOverflow) + 1);
            const fits = total <= maxConnections - 3;
            expect({ argv: argv.join(' '), code: outcome.code, stderr: outcome.stderr }).toEqual({
              argv: argv.join(' '),
              code: fits ? 0 : 1,
              stderr: '',
            });
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it('fails with exit 2 and one line from the real bin on a malformed file, with no stack trace', () => {
    const file = join(directory, 'malformed.yaml');
    writeFileSync(file, 'kind: Deployment\nspec: [unclosed\n');
    const result = spawnSync(
      process.execPath,
      ['src/cli/bin.mjs', 'check', file, '--max-connections', '100'],
      { cwd: REPOSITORY, encoding: 'utf8', timeout: 30_000 },
    );
    expect({
      status: result.status,
      stdout: result.stdout,
      lines: result.stderr.split('\n').filter((line) => line !== '').length,
    }).toEqual({ status: 2, stdout: '', lines: 1 });
    expect(result.stderr).toMatch(
      new RegExp(`^clientats-deploy: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
