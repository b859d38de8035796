/**
 * Starts the shared test PostgreSQL once for the whole suite (or uses
 * `DATABASE_URL` when set) and hands its URL to tests as `inject('databaseUrl')`.
 */
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

export async function setup(project: TestProject): Promise<void> {
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
}
