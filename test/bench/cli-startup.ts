/**
 * CLI start-up benchmark: whole-process CPU (user + system of the reaped child,
 * as `/usr/bin/time` reports it from the kernel's accounting) and wall time of
 * `clientats-deploy check dist`, this tree's bin against another built tree's,
 * run alternately (A B A B …) so each ratio is taken pair by pair, with
 * `node -e 0` as the anchor. Results go to BENCHMARKS.md, "CLI start-up".
 *
 *   npx tsx test/bench/cli-startup.ts --before /tmp/before-tree [--runs 10] [--rounds 3] [--args "check dist"]
 *
 * The before tree needs `npm run build` and a node_modules (a symlink to this
 * tree's is enough); both read this tree's dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const TIME = '/usr/bin/time';

interface Sample {
  readonly cpu: number;
  readonly wall: number;
}

function run(command: readonly string[]): Sample {
  const result = spawnSync(TIME, ['-f', '%e %U %S', ...command], { encoding: 'utf8' });
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`${command.join(' ')} exited ${result.status}: ${result.stderr.slice(-400)}`);
  }
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  const [wall, user, system] = last.split(' ').map(Number);
  if (![wall, user, system].every((value) => Number.isFinite(value))) {
    throw new Error(`could not read ${TIME}'s figures from: ${last}`);
  }
  return { cpu: user! + system!, wall: wall! };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summary(values: readonly number[], digits = 2): string {
  return (
    `${median(values).toFixed(digits)} ` +
    `(${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
  );
}

function main(): void {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      runs: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      args: { type: 'string', default: 'check dist' },
    },
  });
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed (Debian package "time")`);
  if (values.before === undefined) throw new Error('--before <built tree> is required');
  const runs = Number(values.runs);
  const rounds = Number(values.rounds);
  const args = values.args.split(' ').filter((arg) => arg !== '');
  const after = ['node', resolve('src/cli/bin.mjs'), ...args];
  const before = ['node', join(resolve(values.before), 'src/cli/bin.mjs'), ...args];
  const anchor = ['node', '-e', '0'];
  console.log(
    `| ${args.join(' ')}, CPU s median (min–max) | before | after | after / before, paired | node -e 0 |`,
  );
  console.log('|---|---|---|---|---|');
  for (let round = 1; round <= rounds; round++) {
    // One unrecorded warm-up of each, then A B anchor, A B anchor, …
    run(before);
    run(after);
    const samples = { before: [] as Sample[], after: [] as Sample[], anchor: [] as Sample[] };
    for (let index = 0; index < runs; index++) {
      samples.before.push(run(before));
      samples.after.push(run(after));
      samples.anchor.push(run(anchor));
    }
    const ratios = samples.after.map((sample, index) => sample.cpu / samples.before[index]!.cpu);
    const cpu = (list: readonly Sample[]): number[] => list.map((sample) => sample.cpu);
    const wall = (list: readonly Sample[]): string => median(list.map((sample) => sample.wall)).toFixed(2);
    console.log(
      `| round ${round} (${runs} pairs; wall median before ${wall(samples.before)} s, ` +
        `after ${wall(samples.after)} s) | ${summary(cpu(samples.before))} | ` +
        `${summary(cpu(samples.after))} | ${summary(ratios)}× | ${summary(cpu(samples.anchor))} |`,
    );
  }
}

main();
