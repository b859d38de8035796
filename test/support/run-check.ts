/** Runs `clientats-deploy check` in-process on files written to a fresh temporary folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/run-cli.js';

/** Exit code and output of one run. */
export interface CheckOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A scratch folder for manifests; `remove()` in `afterAll`. */
export class ManifestFolder {
  readonly path = mkdtempSync(join(tmpdir(), 'clientats-check-'));

  /** Writes a file (objects as a YAML stream, strings as they are) and returns its path. */
  write(name: string, content: string | readonly unknown[]): string {
    const path = join(this.path, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      typeof content === 'string' ? content : content.map((object) => stringify(object)).join('---\n'),
    );
    return path;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Runs the CLI with these arguments. */
export async function runCheck(...argv: string[]): Promise<CheckOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
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
  });
  return { code, stdout, stderr };
}

/** A container that runs the runtime with these variables. */
export function runtimeContainer(env: Record<string, string>): Record<string, unknown> {
  return {
    name: 'app',
    image: 'clientats:latest',
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    readinessProbe: { httpGet: { path: '/health/ready', port: 4000 }, timeoutSeconds: 3 },
  };
}

/** A pod template running one runtime container. */
export function podTemplate(
  env: Record<string, string>,
  annotations?: Record<string, string>,
): Record<string, unknown> {
  return {
    ...(annotations === undefined ? {} : { metadata: { annotations } }),
    spec: { terminationGracePeriodSeconds: 20, containers: [runtimeContainer(env)] },
  };
}
