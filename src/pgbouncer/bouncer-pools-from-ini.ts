/**
 * A parsed `pgbouncer.ini` → the budget's `BouncerPools`: what `check` needs
 * to count the server connections of a hand-written or generated bouncer.
 * A pool exists per (database, user) pair; an entry with `user=` forces one
 * user, any other entry gets one pool per user that connects through it
 * (`users`). The `*` fallback entry counts as one database. The userlist is a
 * secret the input never holds, so when the users are not given, an entry
 * whose server connections grow with every user (no `user=` and no
 * `max_db_connections`) is refused rather than counted as if one user connected.
 */
import type { BouncerDatabase, BouncerPools } from '../budget/pgbouncer-budget.js';
import type { ParsedPgbouncerIni } from './pgbouncer-ini.js';

/** Options of `bouncerPoolsFromIni`. */
export interface IniPoolOptions {
  /**
   * Users that connect through entries without `user=` (`--pgbouncer-users N`).
   * When unset, one user is counted for entries whose `max_db_connections` caps them anyway,
   * and any other entry without `user=` is refused.
   */
  readonly users?: readonly string[];
  /** Names the file in errors. @default 'pgbouncer.ini' */
  readonly source?: string;
}

/**
 * Reads the pool settings of a parsed ini; unset settings stay unset, so the
 * budget applies PgBouncer's defaults.
 * @throws Error naming file, section and key when a count is not an integer >= 0.
 */
export function bouncerPoolsFromIni(ini: ParsedPgbouncerIni, options: IniPoolOptions = {}): BouncerPools {
  const source = options.source ?? 'pgbouncer.ini';
  const users = options.users ?? ['app'];
  const usersKnown = options.users !== undefined;
  const count = (section: string, key: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value.trim())) {
      throw new Error(`${source} [${section}] ${key} must be an integer >= 0, got ${JSON.stringify(value)}`);
    }
    return Number(value.trim());
  };
  const settings = ini.pgbouncer;
  if (!usersKnown && settings.max_db_connections === undefined) {
    for (const [name, entry] of Object.entries(ini.databases)) {
      if (entry.user !== undefined || entry.max_db_connections !== undefined) continue;
      throw new Error(
        `${source} [databases] ${name} has no user= and no max_db_connections, so every user in the userlist ` +
          'gets its own pool of default_pool_size + reserve_pool_size server connections, and check cannot read ' +
          'the userlist: set max_db_connections (the server connections one bouncer may open per database), ' +
          'or give the number of users with --pgbouncer-users N',
      );
    }
  }
  const databases: BouncerDatabase[] = Object.entries(ini.databases).map(([name, entry]) => ({
    name,
    users: (entry.user === undefined ? users : [entry.user]).map((user) => ({ user })),
    poolSize: count(`databases ${name}`, 'pool_size', entry.pool_size),
    reservePoolSize: count(`databases ${name}`, 'reserve_pool', entry.reserve_pool),
    maxDbConnections: count(`databases ${name}`, 'max_db_connections', entry.max_db_connections),
  }));
  const userMaxConnections: Record<string, number> = {};
  for (const [user, entry] of Object.entries(ini.users)) {
    const cap = count(`users ${user}`, 'max_user_connections', entry.max_user_connections);
    if (cap !== undefined) userMaxConnections[user] = cap;
  }
  return withoutUndefined({
    databases: databases.map(withoutUndefined),
    defaultPoolSize: count('pgbouncer', 'default_pool_size', settings.default_pool_size),
    reservePoolSize: count('pgbouncer', 'reserve_pool_size', settings.reserve_pool_size),
    maxDbConnections: count('pgbouncer', 'max_db_connections', settings.max_db_connections),
    maxUserConnections: count('pgbouncer', 'max_user_connections', settings.max_user_connections),
    maxClientConn: count('pgbouncer', 'max_client_conn', settings.max_client_conn),
    userMaxConnections: Object.keys(userMaxConnections).length > 0 ? userMaxConnections : undefined,
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
