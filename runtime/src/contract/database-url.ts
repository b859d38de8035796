/**
 * Database URLs as the guide writes them: `postgres://`, `postgresql://` and
 * `ecto://` (an Ecto synonym), read by `pg-connection-string` — the parser
 * `pg` itself uses — so whatever `pg` accepts is accepted here, Unix-socket
 * URLs included (`postgres://u:p@/db?host=/var/run/postgresql`,
 * `postgresql:///db?host=/cloudsql/project:region:instance`). And their
 * redaction for logs and errors.
 */
import { parse } from 'pg-connection-string';

/** Connection fields of a database URL. */
export interface DatabaseTarget {
  /** Host name or address; a path (starting with `/`) is a Unix-socket directory. */
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** Query parameters other than the connection fields (e.g. `sslmode`). */
  readonly parameters: Readonly<Record<string, string>>;
}

const SCHEMES = ['postgres', 'postgresql', 'ecto'];
/** Query parameters that are connection fields, not parameters. */
const CONNECTION_FIELDS = new Set(['host', 'port', 'user', 'password', 'db']);
/**
 * Only the connection fields go to the parser: the TLS parameters are DATABASE_SSL's business
 * (the parser would read certificate files and print deprecation warnings for them).
 */
const OTHER_PARAMETERS = /(^|&)(?!(host|port|user|password)=)[^&]*/gi;

/** Parses a database URL; throws a plain `Error` saying what is wrong (without the password). */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  if (scheme === undefined || !SCHEMES.includes(scheme.toLowerCase())) {
    throw new Error(`must start with postgres://, postgresql:// or ecto://, got ${showUrl(url)}`);
  }
  if (!url.slice(scheme.length + 1).startsWith('//')) throw new Error(`is not a URL, got ${showUrl(url)}`);
  const rest = url.slice(scheme.length + 3);
  const authority = /^[^/?#]*/.exec(rest)?.[0] ?? '';
  const afterColon = authority.startsWith('[') ? '' : authority.slice(authority.indexOf(':') + 1);
  if (
    !authority.includes('@') &&
    authority.includes(':') &&
    !/^\d*$/.test(afterColon) &&
    rest.includes('@', authority.length)
  ) {
    // `user:pa#ss@host`: the URL ends its authority at the raw delimiter, inside the password.
    throw new Error(
      'is not a URL: the user name or password holds a raw "/", "?" or "#" (percent-encode it, e.g. ' +
        `"#" as %23), got ${showUrl(url)}`,
    );
  }
  const parts = splitUrl(rest);
  for (const [part, value] of Object.entries(parts)) {
    if (/%(?![0-9a-f]{2})/i.test(value)) {
      throw new Error(
        `has a malformed percent-escape in the ${part} ("%" must be followed by two hex digits), got ${showUrl(url)}`,
      );
    }
  }
  const portInHost = /^(?:\[[^\]]*\]|[^:]*):(.*)$/s.exec(parts.host)?.[1];
  if (portInHost !== undefined && portInHost !== '' && !validPort(portInHost)) {
    throw new Error(`has a port that is not an integer from 1 to 65535, got ${showUrl(url)}`);
  }
  const query = parts['query parameters'];
  const parameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query))
    if (!CONNECTION_FIELDS.has(key)) parameters[key] = value;
  const withoutOtherParameters = url
    .slice(scheme.length + 3)
    .replace(/\?([^#]*)/, (_, found: string) => `?${found.replace(OTHER_PARAMETERS, '')}`);
  const forParser = `postgres://${withoutOtherParameters}`;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(forParser);
  } catch {
    // No `cause` on purpose: the parser's error carries the URL (its `input`), password included.
    throw new Error(`is not a URL, got ${showUrl(url)}`);
  }
  const host = parsed.host ?? '';
  if (host === '') {
    throw new Error(
      `has no host (put one after "@", or a socket directory as ?host=/var/run/postgresql), got ${showUrl(url)}`,
    );
  }
  const portText =
    parsed.port === undefined || parsed.port === null || parsed.port === '' ? '5432' : String(parsed.port);
  if (!validPort(portText))
    throw new Error(`has a port that is not an integer from 1 to 65535, got ${showUrl(url)}`);
  const port = Number(portText);
  const optional = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  return {
    host,
    port,
    user: optional(parsed.user),
    password: optional(parsed.password),
    database: optional(parsed.database),
    parameters,
  };
}

function validPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** The raw (still escaped) parts of what follows `scheme://`, as the WHATWG URL parser splits them. */
function splitUrl(rest: string): Record<string, string> {
  const withoutFragment = rest.split('#')[0] ?? '';
  const authorityEnd = withoutFragment.search(/[/?]/);
  const authority = authorityEnd === -1 ? withoutFragment : withoutFragment.slice(0, authorityEnd);
  const afterAuthority = authorityEnd === -1 ? '' : withoutFragment.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? '' : authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const queryStart = afterAuthority.indexOf('?');
  return {
    'user name': colon === -1 ? userinfo : userinfo.slice(0, colon),
    password: colon === -1 ? '' : userinfo.slice(colon + 1),
    host: authority.slice(at + 1),
    'database name': queryStart === -1 ? afterAuthority : afterAuthority.slice(0, queryStart),
    'query parameters': queryStart === -1 ? '' : afterAuthority.slice(queryStart + 1),
  };
}

/**
 * What may follow the `@` that ends the password: a host (or none, for a socket
 * URL), an optional numeric port, then nothing, a path or a query.
 */
const AUTHORITY_TAIL = /^@(\[[0-9a-f:.]*\]|[^:/?#@[\]\s]*)(:\d*)?([/?#].*)?$/is;

/**
 * The URL with its password replaced by `***`; also safe on strings that are not
 * URLs. Malformed URLs are where passwords leak (a raw `/`, `?`, `#` or `@` in the
 * password, `postgres:user:pw@host`), so everything between the first `:` after
 * the scheme and the last `@` is treated as the password; and when what follows
 * that `@` is no host, port and path (a password holding `@` in a URL with no
 * host), all of it is hidden too.
 */
export function redactDatabaseUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/+/i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  let redacted = url;
  if (at > 0 && colon >= 0 && colon < at) {
    const tail = rest.slice(at);
    redacted = `${scheme}${rest.slice(0, colon)}:***${AUTHORITY_TAIL.test(tail) ? tail : '@…'}`;
  } else if (at === -1 && scheme !== '') {
    // `postgres://user:secret/db`: no `@`, so what follows the colon is a password, unless it is a port.
    const authority = /^[^/?#]*/.exec(rest)?.[0] ?? '';
    const afterColon = authority.startsWith('[') ? '' : authority.slice(authority.indexOf(':') + 1);
    if (authority.includes(':') && !/^\d*$/.test(afterColon))
      redacted = `${scheme}${authority.slice(0, authority.indexOf(':'))}:***${rest.slice(authority.length)}`;
  }
  return redacted.replace(/(password=)[^&\s]*/gi, '$1***');
}

/** The redacted URL as a quoted JSON string, so control characters cannot split a message line. */
function showUrl(url: string): string {
  return JSON.stringify(redactDatabaseUrl(url));
}

/** `host:port` of a target, for messages; a socket directory shows as the socket's path. */
export function describeTarget(target: Pick<DatabaseTarget, 'host' | 'port'>): string {
  if (target.host.startsWith('/')) return `${target.host.replace(/\/$/, '')}/.s.PGSQL.${target.port}`;
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}
