/**
 * `loadApplication(specifier)`: imports the module named on the command line
 * (`clientats-runtime ./server.js`) and returns its default export, the
 * application factory. A path is resolved against the working directory; a
 * bare name (`@team/api`) is resolved like any import.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApplicationError, describeValue, type ApplicationFactory } from './application.js';

/** Imports the application module and checks its default export. @throws ApplicationError (one line) */
export async function loadApplication(
  specifier: string,
  cwd: string = process.cwd(),
): Promise<ApplicationFactory> {
  const shown = JSON.stringify(specifier);
  if (specifier.trim() === '') {
    throw new ApplicationError('the application module must be a path like ./server.js, got ""');
  }
  const isPath = specifier.startsWith('.') || isAbsolute(specifier) || /\.(c|m)?(j|t)s$/.test(specifier);
  let target = specifier;
  if (isPath) {
    const path = resolve(cwd, specifier);
    if (!existsSync(path)) {
      throw new ApplicationError(
        `the application module ${shown} does not exist (looked for ${path}): ` +
          'pass the path of the compiled server module, e.g. clientats-runtime ./build/server.js',
      );
    }
    target = pathToFileURL(path).href;
  }
  let loaded: { default?: unknown };
  try {
    loaded = (await import(target)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ApplicationError(`the application module ${shown} could not be loaded: ${reason}`, {
      cause: error,
    });
  }
  // A CommonJS module's `module.exports = factory` arrives as `default` too.
  const factory = loaded.default;
  if (typeof factory !== 'function') {
    throw new ApplicationError(
      `the application module ${shown} must export a default function ` +
        `({ pool, settings, logger }) => listener, got ${describeValue(factory)}`,
    );
  }
  return factory as ApplicationFactory;
}
