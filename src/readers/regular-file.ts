/**
 * Regular files, read safely: `stat` before `open` (a FIFO, socket or device is
 * refused by name and never opened), a size cap checked from `stat` and again
 * while reading, and problems worded for one line each (used by
 * `input-files.ts`).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';

/** Bytes read per `read` call. */
const READ_CHUNK_BYTES = 64 * 1024;

/** `stat` (following symlinks), or a problem saying why the path cannot be used. */
export function statOrProblem(path: string, problems: string[]): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = errorCode(error);
    const link = lstatOrUndefined(path);
    const fix = 'point it at a file or folder, or remove it';
    if (code === 'ELOOP') problems.push(`${path}: symlink loop (ELOOP): ${fix}`);
    else if (code === 'ENOENT' && link?.isSymbolicLink() === true) {
      problems.push(`${path}: broken symlink to ${JSON.stringify(readlinkOrUnknown(path))}: ${fix}`);
    } else if (code === 'ENOENT' || code === 'ENOTDIR') problems.push(`${path}: no such file or directory`);
    else problems.push(unreadable(path, error));
    return undefined;
  }
}

/** True for a regular file within the cap; otherwise a problem naming what it is. */
export function checkRegular(path: string, stats: Stats, maxBytes: number, problems: string[]): boolean {
  if (!stats.isFile()) {
    problems.push(
      `${path}: is a ${describeType(stats)}, not a regular file: check reads regular files only; ` +
        'remove it, name the files to check, or pipe a stream into check -',
    );
    return false;
  }
  if (stats.size > maxBytes) {
    problems.push(
      `${path}: ${stats.size} bytes, above the ${describeCap(maxBytes)} input cap: ` +
        'split it into smaller files',
    );
    return false;
  }
  return true;
}

/**
 * Reads at most `maxBytes + 1` bytes. Opened non-blocking, so a FIFO swapped in
 * after the `stat` cannot hang the open; the open file must still be the regular
 * file that was measured.
 */
export function readBounded(
  path: string,
  measured: Stats,
  maxBytes: number,
  problems: string[],
): string | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    problems.push(unreadable(path, error));
    return undefined;
  }
  try {
    const opened = fstatSync(descriptor);
    if (!opened.isFile() || identity(opened) !== identity(measured)) {
      problems.push(
        `${path}: replaced while being checked (now a ${describeType(opened)}): ` +
          'check it again once it is stable',
      );
      return undefined;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, maxBytes + 1 - total));
      const count = readSync(descriptor, chunk, 0, chunk.length, null);
      if (count === 0) break;
      chunks.push(chunk.subarray(0, count));
      total += count;
      if (total > maxBytes) {
        problems.push(
          `${path}: larger than the ${describeCap(maxBytes)} input cap when read ` +
            '(it grew after stat measured it): split it into smaller files',
        );
        return undefined;
      }
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (error) {
    problems.push(unreadable(path, error));
    return undefined;
  } finally {
    closeSync(descriptor);
  }
}

/** `10 MiB (10485760 bytes)`, or just the bytes when not a whole number of MiB. */
export function describeCap(bytes: number): string {
  const mebibytes = bytes / (1024 * 1024);
  return Number.isInteger(mebibytes) ? `${mebibytes} MiB (${bytes} bytes)` : `${bytes}-byte`;
}

function describeType(stats: Stats): string {
  if (stats.isFIFO()) return 'FIFO (named pipe)';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isDirectory()) return 'folder';
  return 'special file';
}

/** The identity of a file or folder across paths and links. */
export function identity(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readlinkOrUnknown(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

export function unreadable(path: string, error: unknown): string {
  return `${path}: cannot be read (${errorCode(error)}): check its permissions or leave it out`;
}

export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
