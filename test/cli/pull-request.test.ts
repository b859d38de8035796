/**
 * `check` in a pull request: the commands of templates/github/connection-budget.yml run, as the workflow
 * runs them, on two fixture trees (test/fixtures/pr/base and head: hand-written manifests, each with the
 * connection-budget.json a synth would write next to them), through the real launcher.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, workflowCommand } from '../../src/cli/github-annotations.js';
import { runCli } from '../../src/cli/run-cli.js';

const BIN = resolve('src/cli/bin.mjs');
const FIXTURES = resolve('test/fixtures/pr');
const temporary = mkdtempSync(join(tmpdir(), 'clientats-pr-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

interface Workflow {
  jobs: { budget: { env: Record<string, string>; steps: { name?: string; run?: string }[] } };
}
const workflow = parse(readFileSync('templates/github/connection-budget.yml', 'utf8')) as Workflow;

/** Runs one step of the template in the fixture folder, `npx clientats-deploy` being this checkout's launcher. */
function step(
  name: string,
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const run = workflow.jobs.budget.steps.find((candidate) => candidate.name === name)?.run;
  if (run === undefined) throw new Error(`no step ${JSON.stringify(name)} in the template`);
  const command = run.replaceAll('npx clientats-deploy', `node ${JSON.stringify(BIN)}`);
  const result = spawnSync('bash', ['-c', command], {
    cwd: FIXTURES,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const DIRS = { HEAD_DIR: 'head', BASE_DIR: 'base' };

describe('templates/github/connection-budget.yml on test/fixtures/pr', () => {
  it('synthesizes into the folders the check steps read', () => {
    expect(workflow.jobs.budget.env).toEqual({ HEAD_DIR: 'dist', BASE_DIR: '.budget-base/dist' });
    const runs = workflow.jobs.budget.steps.map((candidate) => candidate.run ?? '');
    expect(runs.filter((run) => run.includes('npm run synth'))).toHaveLength(2);
  });

  it('annotates the lines that break the budget, and exits 1', () => {
    const result = step('Check the budget', DIRS);
    expect(result.status).toBe(1);
    const commands = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('::') && !line.startsWith('::group') && !line.startsWith('::end'));
    const violation =
      'clientats-db is OVER BUDGET by 23: worst case 120 > 97 usable (max_connections 100 − 3 ' +
      'reserved) on database clientats-db:' +
      ' search 3 pods (2 HPA max + 1 surge) × (1 pool × (3 + 0) + 1 probe) = 12' +
      ' + clientats 4 pods (3 replicas + 1 surge) × (2 pools × (10 + 3) + 1 probe) = 108';
    const change = 'clientats-db rollout 87 → 120 (+33), spare 10 → −23: now OVER BUDGET';
    expect(commands).toEqual([
      `::error file=head/autoscaler.k8s.yaml,line=11,title=connection budget%3A clientats-db over by 23::${change}.` +
        ' search holds 12 of 120 rollout connections (3 pods (2 HPA max + 1 surge) ' +
        `× (1 pool × (3 + 0) + 1 probe)). ${violation}`,
      `::error file=head/clientats.k8s.yaml,line=11,title=connection budget%3A clientats-db over by 23::${change}.` +
        ' clientats holds 108 of 120 rollout connections (4 pods (3 replicas + 1 surge) ' +
        `× (2 pools × (10 + 3) + 1 probe)). ${violation}`,
    ]);
    // Line 11 of head/autoscaler.k8s.yaml is the HPA's maxReplicas; of head/clientats.k8s.yaml, the new maxSurge.
    expect(readFileSync(join(FIXTURES, 'head/autoscaler.k8s.yaml'), 'utf8').split('\n')[10]).toBe(
      '  maxReplicas: 2',
    );
    expect(readFileSync(join(FIXTURES, 'head/clientats.k8s.yaml'), 'utf8').split('\n')[10]).toBe(
      '      maxSurge: 1',
    );
    expect(result.stdout).toContain(
      'change against base:\n  clientats-db rollout 87 → 120 (+33), spare 10 → −23: now OVER BUDGET\n',
    );
  });

  it('appends the before → after table to the step summary', () => {
    const summary = join(temporary, 'summary.md');
    writeFileSync(summary, '');
    const result = step('Write the step summary', { ...DIRS, GITHUB_STEP_SUMMARY: summary });
    expect(result.status).toBe(0);
    const rows = readFileSync(summary, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| '));
    expect(rows.slice(0, 5)).toEqual([
      '| database | consumer | steady | rollout | strict | spare | verdict |',
      '| clientats-db | **total** | 84 → 89 (+5) | 87 → 120 (+33) | 168 → 178 (+10) | 10 → −23 (−33) ' +
        '| ❌ now OVER BUDGET |',
      '| | search (kubernetes) | — → 8 | — → 12 | — → 16 | | added |',
      '| | clientats (kubernetes) | 81 | 81 → 108 (+27) | 162 | | changed |',
      '| | reports (kubernetes) | 3 → — | 6 → — | 6 → — | | removed |',
    ]);
    expect(readFileSync(summary, 'utf8')).toContain('# Connection budget\n');
  });

  it('shows a fitting change as still fitting, with no error', () => {
    const result = step('Check the budget', { HEAD_DIR: 'base', BASE_DIR: 'base' });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(
      '::notice title=connection budget%3A clientats-db::clientats-db rollout 87, spare 10: still fits',
    );
  });
});

describe('check --baseline --json', () => {
  it('adds a structured diff to the report', async () => {
    let out = '';
    const code = await runCli(
      ['check', join(FIXTURES, 'head'), '--baseline', join(FIXTURES, 'base'), '--json'],
      {
        stdout: { write: (text: string) => (out += text) },
        stderr: { write: () => true },
      },
    );
    expect(code).toBe(1);
    const diff = (
      JSON.parse(out) as {
        diff: {
          regressed: boolean;
          databases: { verdict: string; consumers: { name: string; status: string }[] }[];
        };
      }
    ).diff;
    expect(diff.regressed).toBe(true);
    expect(diff.databases[0].verdict).toBe('now OVER BUDGET');
    expect(diff.databases[0].consumers.map((consumer) => `${consumer.name} ${consumer.status}`)).toEqual([
      'search added',
      'clientats changed',
      'reports removed',
    ]);
  });
});

describe('check --format github on bad input', () => {
  it('fails when a value is malformed, annotating its file and line, and exits 2', () => {
    const file = join(temporary, 'bad.k8s.yaml');
    writeFileSync(
      file,
      readFileSync(join(FIXTURES, 'base/worker.k8s.yaml'), 'utf8').replace('replicas: 1', 'replicas: "1"'),
    );
    const result = spawnSync(
      process.execPath,
      [BIN, 'check', file, '--max-connections', '100', '--format', 'github'],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    const message =
      `${file}: Deployment "reports" spec.replicas must be an integer >= 0, got "1" (a string: ` +
      'write 1 without quotes)';
    expect(result.stdout).toBe(
      `::error file=${escapeProperty(file)},line=6,title=clientats-deploy check%3A bad input::${message}\n`,
    );
    expect(result.stderr).toBe(`clientats-deploy: ${message}\n`);
  });

  it('fails when a POOL_SIZE is out of range, annotating its env entry', () => {
    const file = join(temporary, 'pool.k8s.yaml');
    writeFileSync(
      file,
      readFileSync(join(FIXTURES, 'base/worker.k8s.yaml'), 'utf8').replace('value: "2"', 'value: "0"'),
    );
    const result = spawnSync(
      process.execPath,
      [BIN, 'check', file, '--max-connections', '100', '--format', 'github'],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    const message =
      `${file}: Deployment "reports" container "reports": POOL_SIZE must be an integer from 1 to ` +
      '10000, got "0"';
    // Line 19 is the env entry `- name: POOL_SIZE`.
    expect(result.stdout).toBe(
      `::error file=${escapeProperty(file)},line=19,title=clientats-deploy check%3A bad input::${message}\n`,
    );
  });
});

describe('workflow command escaping', () => {
  it('escapes %, CR and LF in messages, and also : and , in properties', () => {
    expect(escapeData('50% a\r\nb: c, d')).toBe('50%25 a%0D%0Ab: c, d');
    expect(escapeProperty('50% a\r\nb: c, d')).toBe('50%25 a%0D%0Ab%3A c%2C d');
    expect(
      workflowCommand({ level: 'warning', file: 'a,b:c.yaml', line: 3, title: 't: x', message: 'm\n2' }),
    ).toBe('::warning file=a%2Cb%3Ac.yaml,line=3,title=t%3A x::m%0A2');
  });
});
