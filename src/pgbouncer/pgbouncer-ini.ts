/**
 * `pgbouncer.ini` as data: `renderPgbouncerIni` writes one from a typed
 * configuration, `parsePgbouncerIni` reads a generated or hand-written one
 * back (sections `[databases]`, `[pgbouncer]`, `[users]`, `[peers]`;
 * `;`/`#` comments; libpq-style `key=value` strings in `[databases]` and
 * `[users]`). Pure: no file system access. A file PgBouncer would read
 * differently (`%include`, an unknown section, a line that is not
 * `key = value`) is refused with the line number, never skipped.
 */

/** A value in `pgbouncer.ini`. */
export type IniValue = string | number | boolean;

/** A `[databases]` or `[users]` entry: libpq-style `key=value` pairs (`host`, `port`, `dbname`, `pool_size`, …). */
export type IniEntry = Readonly<Record<string, IniValue>>;

/** A whole `pgbouncer.ini`. */
export interface PgbouncerIniConfig {
  /** `[databases]`: name (or `*`) → connection entry. */
  readonly databases: Readonly<Record<string, IniEntry>>;
  /** `[pgbouncer]`: setting → value. */
  readonly pgbouncer: Readonly<Record<string, IniValue>>;
  /** `[users]`: user → per-user settings (`pool_mode`, `max_user_connections`, …). */
  readonly users?: Readonly<Record<string, IniEntry>>;
  /** `[peers]` (PgBouncer 1.19+): peer id → entry. */
  readonly peers?: Readonly<Record<string, IniEntry>>;
}

/** A parsed `pgbouncer.ini`: every value as the file spells it. */
export interface ParsedPgbouncerIni {
  readonly databases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly pgbouncer: Readonly<Record<string, string>>;
  readonly users: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly peers: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const SECTIONS = ['databases', 'pgbouncer', 'users', 'peers'] as const;
type Section = (typeof SECTIONS)[number];
const NAME = /^[A-Za-z0-9_.*-]+$/;
/** Keys that would put a secret into a generated file. */
const SECRET_KEYS = new Set(['password', 'auth_password']);

/**
 * Renders the configuration, sections in the order PgBouncer documents them.
 * @throws Error when a name is not a plain identifier, a value holds a line
 * break, or an entry carries a password (passwords belong in the auth_file Secret).
 */
export function renderPgbouncerIni(config: PgbouncerIniConfig, header?: string): string {
  const lines: string[] = [];
  if (header !== undefined) for (const line of header.split('\n')) lines.push(`; ${line}`.trimEnd());
  const entrySection = (section: Section, entries: Readonly<Record<string, IniEntry>> | undefined): void => {
    if (entries === undefined || Object.keys(entries).length === 0) return;
    if (lines.length > 0) lines.push('');
    lines.push(`[${section}]`);
    for (const [name, entry] of Object.entries(entries)) {
      checkName(section, name);
      lines.push(`${name} = ${renderEntry(section, name, entry)}`);
    }
  };
  entrySection('databases', config.databases);
  if (lines.length > 0) lines.push('');
  lines.push('[pgbouncer]');
  for (const [key, value] of Object.entries(config.pgbouncer)) {
    checkName('pgbouncer', key);
    if (SECRET_KEYS.has(key)) throw secretError('pgbouncer', key);
    lines.push(`${key} = ${renderValue('pgbouncer', key, value)}`.trimEnd());
  }
  entrySection('users', config.users);
  entrySection('peers', config.peers);
  return `${lines.join('\n')}\n`;
}

function renderEntry(section: Section, name: string, entry: IniEntry): string {
  return Object.entries(entry)
    .map(([key, value]) => {
      checkName(`${section} ${name}`, key);
      if (SECRET_KEYS.has(key)) throw secretError(`${section} ${name}`, key);
      const text = renderValue(`${section} ${name}`, key, value);
      // libpq quoting: values with spaces, quotes or backslashes go in single quotes with backslash escapes.
      const quoted = /^[^\s'\\]+$/.test(text)
        ? text
        : `'${text.replace(/[\\']/g, (character) => `\\${character}`)}'`;
      return `${key}=${quoted}`;
    })
    .join(' ');
}

function renderValue(where: string, key: string, value: IniValue): string {
  const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`pgbouncer.ini [${where}] ${key} must be a finite number, got ${text}`);
  }
  if (/[\r\n]/.test(text))
    throw new Error(
      `pgbouncer.ini [${where}] ${key} must not contain a line break, got ${JSON.stringify(text)}`,
    );
  return text;
}

function checkName(where: string, name: string): void {
  if (!NAME.test(name)) {
    throw new Error(
      `pgbouncer.ini [${where}] names must be letters, digits, "_", ".", "-" or "*", got ${JSON.stringify(name)}`,
    );
  }
}

function secretError(where: string, key: string): Error {
  return new Error(
    `pgbouncer.ini [${where}] must not carry ${key}: a generated file holds no secret, ` +
      'put credentials in the auth_file (userlist.txt) Secret',
  );
}

/**
 * Reads a `pgbouncer.ini`. `source` names the file in errors.
 * @throws Error with `source:line` for `%include`, an unknown section, a
 * setting outside any section, a line that is not `key = value`, or a
 * malformed `key=value` string.
 */
export function parsePgbouncerIni(text: string, source = 'pgbouncer.ini'): ParsedPgbouncerIni {
  const result: Record<Section, Record<string, unknown>> = {
    databases: {},
    pgbouncer: {},
    users: {},
    peers: {},
  };
  let section: Section | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const where = `${source}:${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    if (line.startsWith('%include')) {
      throw new Error(
        `${where}: %include is not followed by this reader, got ${JSON.stringify(line)}: ` +
          `pass the included file's settings in the same file`,
      );
    }
    const header = /^\[([^\]]*)\]$/.exec(line);
    if (header !== null) {
      const name = header[1]!.trim().toLowerCase();
      if (!(SECTIONS as readonly string[]).includes(name)) {
        throw new Error(
          `${where}: unknown section [${header[1]}], expected one of ` +
            `${SECTIONS.map((known) => `[${known}]`).join(', ')}`,
        );
      }
      section = name as Section;
      return;
    }
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`${where}: expected "key = value", got ${JSON.stringify(line)}`);
    const key = unquoteName(line.slice(0, equals).trim());
    const value = line.slice(equals + 1).trim();
    if (section === undefined) throw new Error(`${where}: setting ${key} comes before any [section]`);
    if (section === 'pgbouncer') {
      result.pgbouncer[key.toLowerCase()] = value;
    } else {
      result[section][key] = parseConnectionString(value, where);
    }
  });
  return result as unknown as ParsedPgbouncerIni;
}

/** PgBouncer allows `"my db" = …` for names with odd characters. */
function unquoteName(name: string): string {
  return name.length >= 2 && name.startsWith('"') && name.endsWith('"')
    ? name.slice(1, -1).replaceAll('""', '"')
    : name;
}

/**
 * A libpq-style `key=value key2='quoted \' value'` string.
 * @throws Error naming `where` when a pair is malformed or a quote is not closed.
 */
export function parseConnectionString(text: string, where = 'connection string'): Record<string, string> {
  const pairs: Record<string, string> = {};
  let position = 0;
  const skipSpace = (): void => {
    while (position < text.length && /\s/.test(text[position]!)) position += 1;
  };
  skipSpace();
  while (position < text.length) {
    const keyMatch = /^([A-Za-z0-9_]+)\s*=\s*/.exec(text.slice(position));
    if (keyMatch === null)
      throw new Error(`${where}: expected key=value at ${JSON.stringify(text.slice(position))}`);
    position += keyMatch[0].length;
    let value = '';
    if (text[position] === "'") {
      position += 1;
      let closed = false;
      while (position < text.length) {
        const character = text[position]!;
        if (character === '\\' && position + 1 < text.length) {
          value += text[position + 1];
          position += 2;
        } else if (character === "'") {
          position += 1;
          closed = true;
          break;
        } else {
          value += character;
          position += 1;
        }
      }
      if (!closed)
        throw new Error(`${where}: unterminated quoted value for ${keyMatch[1]} in ${JSON.stringify(text)}`);
    } else {
      while (position < text.length && !/\s/.test(text[position]!)) value += text[position++];
    }
    pairs[keyMatch[1]!] = value;
    skipSpace();
  }
  return pairs;
}
