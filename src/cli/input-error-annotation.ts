/**
 * `check --format github` on bad input: each problem also as a workflow
 * `::error` at its file and line. Loaded by `runCli` only on that path.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { errorLine } from '../readers/source-lines.js';
import { workflowCommand } from './github-annotations.js';

/**
 * A bad-input problem (`file[#N]: message`) as an `::error` at its file and
 * line when the file can be read; without a file otherwise.
 */
export function inputErrorCommand(problem: string): string {
  const file = /^(.+?)(?:#\d+)?: /.exec(problem)?.[1];
  let at: { file?: string; line?: number } = {};
  if (file !== undefined && file !== '-' && existsSync(file) && statSync(file).isFile()) {
    let line: number | undefined;
    try {
      line = errorLine({ path: file, text: readFileSync(file, 'utf8') }, problem);
    } catch {
      line = undefined;
    }
    at = { file, ...(line === undefined ? {} : { line }) };
  }
  return workflowCommand({
    level: 'error',
    title: 'clientats-deploy check: bad input',
    message: problem,
    ...at,
  });
}
