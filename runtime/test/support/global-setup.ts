/**
 * Starts the shared test PostgreSQL once for the whole suite (or uses
 * `DATABASE_URL` when set) and hands its URL to tests as `inject('databaseUrl')`.
 * Temporary files of the run (cdk8s's `Testing.app()` output folders, data
 * directories, certificates) go to one folder that teardown removes.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startTestDatabase, type TestDatabase } from './test-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared test database (superuser). */
    databaseUrl: string;
  }
}

let database: TestDatabase | undefined;
let runDirectory: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  runDirectory = mkdtempSync(join(tmpdir(), 'clientats-test-run-'));
  // Sticky and world-writable like /tmp: the embedded server runs as another user and must reach its data directory.
  chmodSync(runDirectory, 0o1777);
  // Test workers start after this and inherit it, so os.tmpdir() points here for the whole run.
  process.env.TMPDIR = runDirectory;
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') {
    project.provide('databaseUrl', external);
    return;
  }
  database = await startTestDatabase({ maxConnections: 200 });
  project.provide('databaseUrl', database.url);
}

export async function teardown(): Promise<void> {
  await database?.close();
  if (runDirectory !== undefined) rmSync(runDirectory, { recursive: true, force: true });
}
