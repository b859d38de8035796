/**
 * Database URLs as the guide writes them: `postgres://`, `postgresql://` and
 * `ecto://` (an Ecto synonym), and their redaction for logs and errors.
 */

/** Connection fields of a database URL. */
export interface DatabaseTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** Query parameters other than the connection fields (e.g. `sslmode`). */
  readonly parameters: Readonly<Record<string, string>>;
}

const SCHEMES = ['postgres:', 'postgresql:', 'ecto:'];

/** Parses a database URL; throws a plain `Error` saying what is wrong (without the password). */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`is not a URL, got ${showUrl(url)}`);
  }
  if (!SCHEMES.includes(parsed.protocol)) {
    throw new Error(`must start with postgres://, postgresql:// or ecto://, got ${showUrl(url)}`);
  }
  if (parsed.hostname === '') throw new Error(`has no host, got ${showUrl(url)}`);
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  const decode = (value: string): string | undefined => (value === '' ? undefined : decodeURIComponent(value));
  const parameters: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) parameters[key] = value;
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decode(parsed.username),
    password: decode(parsed.password),
    database: decode(parsed.pathname.replace(/^\//, '')),
    parameters,
  };
}

/**
 * The URL with its password replaced by `***`; also safe on strings that are not
 * URLs. Malformed URLs are where passwords leak (a raw `/`, `?`, `#` or `@` in the
 * password, `postgres:user:pw@host`), so everything between the first `:` after
 * the scheme and the last `@` is treated as the password.
 */
export function redactDatabaseUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/+/i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  const redacted = at > 0 && colon >= 0 && colon < at ? `${scheme}${rest.slice(0, colon)}:***${rest.slice(at)}` : url;
  return redacted.replace(/(password=)[^&\s]*/gi, '$1***');
}

/** The redacted URL as a quoted JSON string, so control characters cannot split a message line. */
function showUrl(url: string): string {
  return JSON.stringify(redactDatabaseUrl(url));
}

/** `host:port` of a target, for messages. */
export function describeTarget(target: Pick<DatabaseTarget, 'host' | 'port'>): string {
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}
