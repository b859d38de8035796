import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectInputFiles,
  INPUT_SIZE_CAP_BYTES,
  InputFilesError,
  readRegularFile,
  STANDARD_INPUT_NAME,
  type CollectInputOptions,
} from '../../src/readers/input-files.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A fresh temporary folder holding `files` (path → content). */
function folder(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'input-files-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** The problems `collectInputFiles` throws, or a failure when it does not throw. */
async function problemsOf(paths: string[], options: CollectInputOptions = {}): Promise<readonly string[]> {
  const error = await collectInputFiles(paths, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InputFilesError);
  return (error as InputFilesError).problems;
}

function mkfifo(path: string): void {
  const result = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mkfifo ${path} failed: ${result.stderr}`);
}

/**
 * Runs `action` while a child process waits to write into the FIFO. Should the collector
 * ever open the FIFO, the writer unblocks it, so the test fails on its assertions instead of
 * hanging; the writer is killed afterwards (and by its own timeout at the latest).
 */
async function withFifoWriter<T>(fifo: string, action: () => Promise<T>): Promise<T> {
  const writer = spawn(
    process.execPath,
    ['-e', `require('node:fs').writeFileSync(${JSON.stringify(fifo)}, 'kind: Deployment\\n')`],
    {
      stdio: 'ignore',
      timeout: 30_000,
    },
  );
  try {
    return await action();
  } finally {
    writer.kill();
  }
}

const stdinOf = (...chunks: string[]): Readable => Readable.from(chunks.map((chunk) => Buffer.from(chunk)));

describe('collectInputFiles', () => {
  it('reads named files and the YAML and JSON files of a folder, sorted, named ones marked', async () => {
    const root = folder({
      'b.yaml': 'b',
      'a/c.yml': 'c',
      'a/d.json': 'd',
      'notes.txt': 'no',
      'node_modules/x.yaml': 'no',
    });
    const { files, notes } = await collectInputFiles([join(root, 'notes.txt'), root]);
    expect(files).toEqual([
      { path: join(root, 'notes.txt'), named: true, text: 'no' },
      { path: join(root, 'a/c.yml'), named: false, text: 'c' },
      { path: join(root, 'a/d.json'), named: false, text: 'd' },
      { path: join(root, 'b.yaml'), named: false, text: 'b' },
    ]);
    expect(notes).toEqual([]);
  });

  it('follows a symlink to a folder and a symlink to a file', async () => {
    const outside = folder({ 'deploy/app.yaml': 'app', 'single.yaml': 'single' });
    const root = folder();
    symlinkSync(join(outside, 'deploy'), join(root, 'linked'));
    symlinkSync(join(outside, 'single.yaml'), join(root, 'link.yaml'));
    const { files } = await collectInputFiles([root]);
    expect(files).toEqual([
      { path: join(root, 'link.yaml'), named: false, text: 'single' },
      { path: join(root, 'linked/app.yaml'), named: false, text: 'app' },
    ]);
  });

  it('reads a file reached twice once, and a named file stays named', async () => {
    const root = folder({ 'app.yaml': 'app' });
    symlinkSync('app.yaml', join(root, 'alias.yaml'));
    const { files, notes } = await collectInputFiles([root, join(root, 'app.yaml')]);
    expect(files).toEqual([{ path: join(root, 'alias.yaml'), named: true, text: 'app' }]);
    expect(notes).toEqual([`${join(root, 'app.yaml')}: same file as ${join(root, 'alias.yaml')}, read once`]);
  });

  it('stops at a symlink loop, reads every file once and says so', async () => {
    const root = folder({ 'deploy/app.yaml': 'app' });
    symlinkSync('..', join(root, 'deploy/up'));
    symlinkSync('deploy', join(root, 'again'));
    const { files, notes } = await collectInputFiles([root]);
    expect(files).toEqual([{ path: join(root, 'again/app.yaml'), named: false, text: 'app' }]);
    expect(notes).toEqual([
      `${join(root, 'again/up')}: symlink loop back to ${root}, not followed (its files are read once)`,
      `${join(root, 'deploy')}: same folder as ${join(root, 'again')}, read once`,
    ]);
  });

  it('reads standard input for -, once, beside files', async () => {
    const root = folder({ 'app.yaml': 'app' });
    const { files } = await collectInputFiles(['-', join(root, 'app.yaml')], {
      stdin: stdinOf('kind: ', 'List\n'),
    });
    expect(files).toEqual([
      { path: STANDARD_INPUT_NAME, named: true, text: 'kind: List\n' },
      { path: join(root, 'app.yaml'), named: true, text: 'app' },
    ]);
  });

  it('reads a file of exactly the cap', async () => {
    const root = folder({ 'ten.yaml': '0123456789' });
    const { files } = await collectInputFiles([root], { maxBytes: 10 });
    expect(files.map((file) => file.text)).toEqual(['0123456789']);
  });

  it('fails when a folder holds a FIFO named *.yaml, without opening it', async () => {
    const root = folder();
    const fifo = join(root, 'pipe.yaml');
    mkfifo(fifo);
    mkfifo(join(root, 'not-an-input'));
    const problems = await withFifoWriter(fifo, () => problemsOf([root]));
    expect(problems).toEqual([
      `${fifo}: is a FIFO (named pipe), not a regular file: check reads regular files only; ` +
        'remove it, name the files to check, or pipe a stream into check -',
    ]);
  });

  it('fails when a named path is a FIFO reached through a symlink', async () => {
    const root = folder();
    mkfifo(join(root, 'pipe'));
    symlinkSync('pipe', join(root, 'link.yaml'));
    const problems = await withFifoWriter(join(root, 'pipe'), () => problemsOf([join(root, 'link.yaml')]));
    expect(problems).toEqual([
      `${join(root, 'link.yaml')}: is a FIFO (named pipe), not a regular file: ` +
        'check reads regular files only; remove it, name the files to check, ' +
        'or pipe a stream into check -',
    ]);
  });

  it('fails when a folder holds a socket named *.yaml', async () => {
    const root = folder();
    const socket = join(root, 's.yaml');
    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
    try {
      expect(await problemsOf([root])).toEqual([
        `${socket}: is a socket, not a regular file: check reads regular files only; remove it, ` +
          'name the files to check, or pipe a stream into check -',
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails when a named path is a device', async () => {
    expect(await problemsOf(['/dev/null'])).toEqual([
      '/dev/null: is a character device, not a regular file: check reads regular files only; ' +
        'remove it, name the files to check, or pipe a stream into check -',
    ]);
  });

  it('fails when a file is above the 10 MiB cap, from its size alone', async () => {
    const root = folder();
    const big = join(root, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, INPUT_SIZE_CAP_BYTES + 1); // sparse: instant, no disk used
    expect(await problemsOf([root])).toEqual([
      `${big}: 10485761 bytes, above the 10 MiB (10485760 bytes) input cap: split it into smaller files`,
    ]);
  });

  it.runIf(process.platform === 'linux')(
    'fails when a file holds more than its size said (the read is bounded)',
    async () => {
      // procfs files report size 0 and hold more: the same path as a file growing after its stat.
      expect(await problemsOf(['/proc/self/status'], { maxBytes: 64 })).toEqual([
        '/proc/self/status: larger than the 64-byte input cap when read (it grew after stat measured ' +
          'it): split it into smaller files',
      ]);
    },
  );

  it('fails when standard input is above the cap, without reading the rest', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1;
        this.push(produced > 1_000 ? null : Buffer.alloc(16, 'a'));
      },
    });
    expect(await problemsOf(['-'], { stdin: endless, maxBytes: 40 })).toEqual([
      '-: standard input is larger than the 40-byte input cap: split it and check the parts',
    ]);
    expect(produced).toBeLessThan(10);
  });

  it('fails when standard input is a terminal', async () => {
    const terminal = Object.assign(stdinOf('never read'), { isTTY: true });
    expect(await problemsOf(['-'], { stdin: terminal })).toEqual([
      '-: standard input is a terminal, nothing is piped in: ' +
        'pipe manifests in (helm template … | clientats-deploy check - …) or name files',
    ]);
  });

  it('fails when standard input breaks while being read', async () => {
    const broken = new Readable({
      read() {
        this.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' }));
      },
    });
    expect(await problemsOf(['-'], { stdin: broken })).toEqual([
      '-: standard input cannot be read (EIO): pipe manifests in or name files',
    ]);
  });

  it('fails when - is given twice', async () => {
    expect(await problemsOf(['-', '-'], { stdin: stdinOf('kind: List\n') })).toEqual([
      '-: standard input given twice: give - once',
    ]);
  });

  it('fails on a broken symlink and a symlink loop named *.yaml, and ignores other names', async () => {
    const root = folder();
    symlinkSync('nowhere', join(root, 'broken.yaml'));
    symlinkSync('self.yaml', join(root, 'self.yaml'));
    symlinkSync('nowhere', join(root, 'broken-other'));
    expect(await problemsOf([root])).toEqual([
      `${join(root, 'broken.yaml')}: broken symlink to "nowhere": point it at a file or folder, or remove it`,
      `${join(root, 'self.yaml')}: symlink loop (ELOOP): point it at a file or folder, or remove it`,
    ]);
  });

  it('fails listing every problem at once', async () => {
    const root = folder({ 'ok.yaml': 'ok' });
    mkfifo(join(root, 'pipe.yml'));
    const big = join(root, 'z.yaml');
    writeFileSync(big, 'x'.repeat(11));
    const problems = await withFifoWriter(join(root, 'pipe.yml'), () =>
      problemsOf([join(root, 'missing.yaml'), root], { maxBytes: 10 }),
    );
    expect(problems).toEqual([
      `${join(root, 'missing.yaml')}: no such file or directory`,
      `${join(root, 'pipe.yml')}: is a FIFO (named pipe), not a regular file: ` +
        'check reads regular files only; remove it, name the files to check, ' +
        'or pipe a stream into check -',
      `${big}: 11 bytes, above the 10-byte input cap: split it into smaller files`,
    ]);
  });

  it('fails when a folder holds too many files or is too deep', async () => {
    const root = folder({ 'a.yaml': 'a', 'b.yaml': 'b', 'c.yaml': 'c', 'd/e/f.yaml': 'f' });
    expect(await problemsOf([root], { maxFiles: 2, maxDepth: 1 })).toEqual([
      `${join(root, 'c.yaml')}: more than 2 files to check: name the files or a smaller folder`,
    ]);
    expect(await problemsOf([join(root, 'd')], { maxDepth: 0 })).toEqual([
      `${join(root, 'd/e')}: more than 0 folders deep: name it (or a folder closer to it) directly`,
    ]);
  });

  it('keeps each problem on one line when a file name holds a line break', async () => {
    const root = folder();
    mkfifo(join(root, 'two\nlines.yaml'));
    const problems = await withFifoWriter(join(root, 'two\nlines.yaml'), () => problemsOf([root]));
    expect(problems).toEqual([
      `${root}/two\\nlines.yaml: is a FIFO (named pipe), not a regular file: ` +
        'check reads regular files only; remove it, name the files to check, ' +
        'or pipe a stream into check -',
    ]);
  });
});

describe('readRegularFile', () => {
  it('reads a regular file through a symlink', () => {
    const root = folder({ env: 'POOL_SIZE=5\n' });
    symlinkSync('env', join(root, 'link'));
    expect(readRegularFile(join(root, 'link'))).toBe('POOL_SIZE=5\n');
  });

  it('fails when the path is missing, a folder or a FIFO', () => {
    const root = folder();
    mkfifo(join(root, 'pipe'));
    const problems = (path: string): readonly string[] => {
      try {
        readRegularFile(path);
      } catch (error) {
        return (error as InputFilesError).problems;
      }
      throw new Error(`${path} was read`);
    };
    expect(problems(join(root, 'missing'))).toEqual([`${join(root, 'missing')}: no such file or directory`]);
    expect(problems(root)).toEqual([`${root}: is a folder, not a file: name a file`]);
    expect(problems(join(root, 'pipe'))).toEqual([
      `${join(root, 'pipe')}: is a FIFO (named pipe), not a regular file: ` +
        'check reads regular files only; remove it, name the files to check, ' +
        'or pipe a stream into check -',
    ]);
  });
});
