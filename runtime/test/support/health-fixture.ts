/**
 * Shared pieces of the health server tests: settings from a URL with fast
 * readiness checks, a logger that records its lines, and fetch helpers.
 */
import { loadSettings, type Settings } from '../../src/contract/load-settings.js';
import type { Logger } from '../../src/pool/pool-types.js';

/** Settings for a test server: short readiness period, no shutdown delay, port 0. */
export function testSettings(databaseUrl: string, overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    DATABASE_URL: databaseUrl,
    POOL_SIZE: '2',
    READINESS_INTERVAL_MS: '100',
    READINESS_TIMEOUT_MS: '1000',
    SHUTDOWN_DELAY_MS: '0',
    SHUTDOWN_DRAIN_MS: '2000',
    POOL_TIMEOUT: '2000',
    PORT: '1',
    ...overrides,
  });
}

/** One recorded log line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: object;
}

/** A Logger that keeps every line (bounded) for assertions. */
export function recordingLogger(): Logger & { readonly lines: LogLine[]; messages(): string[] } {
  const lines: LogLine[] = [];
  const record =
    (level: LogLine['level']) =>
    (fields: object, message: string): void => {
      lines.push({ level, message, fields });
      if (lines.length > 5000) lines.shift();
    };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    messages: () => lines.map((line) => line.message),
  };
}

/**
 * Polls `probe` every `intervalMillis` until it returns true, at most `attempts` times; returns whether it did.
 * The default bound (400 × 50 ms = 20 s) is a safety net for a loaded machine, never a timing assertion.
 */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  attempts = 400,
  intervalMillis = 50,
): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMillis));
  }
  return false;
}
