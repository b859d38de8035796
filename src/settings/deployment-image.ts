/**
 * The image every generated environment deploys, and the secrets and TLS rules
 * they share: the example service that `runtime/example/Dockerfile` builds,
 * tagged with the runtime's package version (never `:latest`).
 */
import runtimePackage from 'clientats-runtime/package.json' with { type: 'json' };

/** `clientats-api:<version of runtime/package.json>`: what `runtime/example/Dockerfile` builds. */
export const DEFAULT_IMAGE = `clientats-api:${runtimePackage.version}`;

/**
 * The shell commands that build {@link DEFAULT_IMAGE} from the repository root:
 * the runtime image first (the example's Dockerfile starts `FROM` it), then the example on it.
 */
export function imageBuildCommands(image: string): string {
  return (
    `docker build -f templates/runtime.Dockerfile -t clientats-runtime:${runtimePackage.version} . && ` +
    `docker build -f runtime/example/Dockerfile -t ${image} .`
  );
}

/** The compiled entry the image and the Heroku Procfile start. */
export const APP_COMMAND = 'node runtime/build/main.js runtime/example/build/server.js';

/** Command that creates a fresh `HEALTH_CHECK_TOKEN` value. */
export const TOKEN_GENERATOR = 'openssl rand -hex 32';

/** Problem with an image reference: it must carry a pinned tag or a digest, and not `latest`. */
export function imageProblems(image: string): string[] {
  if (image.includes('@sha256:')) return [];
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
  if (tag === '' || tag === 'latest') {
    return [
      `image must carry a pinned tag or digest (e.g. ${DEFAULT_IMAGE}), not latest or none, ` +
        `got ${JSON.stringify(image)}`,
    ];
  }
  return [];
}

/** What an environment says instead of TLS to its database, when it opts out. */
export interface InsecureDatabaseOptOut {
  /** Why the connection may go unencrypted (printed by synth and written into the file's header). */
  readonly reason: string;
}

/** `DATABASE_SSL` values that encrypt. */
const ENCRYPTING = new Set(['true', '1', 'require', 'verify-ca', 'verify-full']);

/**
 * The TLS rule of production environments: `NODE_ENV=production` must connect with
 * `DATABASE_SSL` encrypting, unless `optOut` gives a non-empty reason.
 */
export function tlsProblems(
  env: Readonly<Record<string, string>>,
  optOut: InsecureDatabaseOptOut | undefined,
): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const ssl = env.DATABASE_SSL?.trim().toLowerCase() ?? '';
  if (optOut !== undefined) {
    if (optOut.reason.trim() === '') return ['insecureDatabase.reason must say why TLS is off, got ""'];
    return [];
  }
  // An unknown value is already reported by the runtime's own validation.
  if (ENCRYPTING.has(ssl) || !['', 'false', '0', 'disable'].includes(ssl)) return [];
  return [
    `DATABASE_SSL must encrypt when NODE_ENV=production (verify-full, or require where certificates do not verify), ` +
      `or set insecureDatabase with a reason, got ${JSON.stringify(env.DATABASE_SSL ?? '')}`,
  ];
}

/** The synth note of an environment that opted out of TLS. */
export function insecureDatabaseNote(environment: string, optOut: InsecureDatabaseOptOut): string {
  return `note: [${environment}] connects to its database without TLS: ${optOut.reason}`;
}
