/**
 * Both tiers of a PgBouncer budget as report lines (Markdown), so a reader
 * sees why hundreds of app connections fit a 100-connection server: the
 * server side counts only the bouncers' pools, the client side counts the
 * apps against the bouncers' `max_client_conn`.
 */
import type { PgbouncerBudget } from './pgbouncer-budget.js';

const verdict = (fits: boolean): string => (fits ? 'fits' : '**over budget**');

/** The comparison a text line states: `≤` when the total fits its bound, `>` when it does not. */
const versus = (fits: boolean): string => (fits ? '≤' : '>');

/** A Markdown section for one bouncer tier named `name`. */
export function pgbouncerBudgetLines(name: string, budget: PgbouncerBudget): string[] {
  const { server, client } = budget;
  if (budget.perInstance !== undefined) {
    const { unit } = budget.perInstance;
    return [
      `#### PgBouncer \`${name}\`, one per ${unit}: ${verdict(budget.fits)}`,
      '',
      '| tier | counted | total | bound | verdict |',
      '|---|---|---|---|---|',
      `| server (PostgreSQL) | ${server.bouncerInstances} ${unit}s, each with its own bouncer, ` +
        `× ${budget.perBouncer} ` +
        `server connections + ${server.direct} direct | ${server.total} | ≤ ${server.usable} usable ` +
        `| ${verdict(server.fits)} |`,
      `| client (per ${unit}) | one ${unit}'s connections to its own bouncer | ${client.demand} ` +
        `| ≤ max_client_conn ${client.maxClientConn} | ${verdict(client.fits)} |`,
      '',
      `Assumption: ${client.assumption}.`,
    ];
  }
  const capped =
    budget.uncapped === budget.perBouncer
      ? ''
      : ` (pools add up to ${budget.uncapped}, capped by max_db/user_connections)`;
  return [
    `#### PgBouncer tier \`${name}\`: ${verdict(budget.fits)}`,
    '',
    '| tier | counted | total | bound | verdict |',
    '|---|---|---|---|---|',
    `| server (PostgreSQL) | ${server.bouncerInstances} bouncer pods × ${budget.perBouncer} server ` +
      `connections${capped} ` +
      `+ ${server.direct} direct | ${server.total} | ≤ ${server.usable} usable | ${verdict(server.fits)} |`,
    `| client (even spread) | app instances × per_instance behind the bouncers | ${client.demand} ` +
      `| ≤ ${client.servingBouncers} × max_client_conn ${client.maxClientConn} = ${client.capacity} ` +
      `| ${verdict(client.fits)} |`,
    `| client (strict: ${client.downDuringRollout} bouncer(s) down in a rollout) | same | ${client.demand} ` +
      `| ≤ ${client.servingBouncers - client.downDuringRollout} × ${client.maxClientConn} ` +
      `= ${client.strictCapacity} ` +
      `| ${client.fitsStrict ? 'fits' : 'over (warning)'} |`,
    '',
    `Assumption: ${client.assumption}.`,
  ];
}

/** Plain-text lines for one bouncer tier (the terminal report). */
export function pgbouncerBudgetText(name: string, budget: PgbouncerBudget): string[] {
  const { server, client } = budget;
  const plain = (fits: boolean): string => (fits ? 'fits' : 'OVER BUDGET');
  if (budget.perInstance !== undefined) {
    const { unit } = budget.perInstance;
    return [
      `PgBouncer ${name}, one per ${unit}: ${plain(budget.fits)}`,
      `  server side: ${server.bouncerInstances} ${unit}s, each with its own bouncer, × ${budget.perBouncer} server ` +
        `connections + ${server.direct} direct = ${server.total} ${versus(server.fits)} ${server.usable} usable: ` +
        plain(server.fits),
      `  client side, per ${unit}: one ${unit} opens ${client.demand} ${versus(client.fits)} its ` +
        `bouncer's max_client_conn ` +
        `${client.maxClientConn}: ${plain(client.fits)}`,
      `  assumption: ${client.assumption}`,
    ];
  }
  return [
    `PgBouncer tier ${name}: ${plain(budget.fits)}`,
    `  server side: ${server.bouncerInstances} bouncer pods × ${budget.perBouncer} server ` +
      `connections + ${server.direct} direct ` +
      `= ${server.total} ${versus(server.fits)} ${server.usable} usable: ${plain(server.fits)}`,
    `  client side: apps behind open ${client.demand} ${versus(client.fits)} ` +
      `${client.servingBouncers} bouncers × max_client_conn ` +
      `${client.maxClientConn} = ${client.capacity}: ${plain(client.fits)}`,
    `  client side, strict (${client.downDuringRollout} bouncer(s) down in a rollout): ${client.demand} ` +
      `${versus(client.fitsStrict)} ` +
      `${client.servingBouncers - client.downDuringRollout} × ${client.maxClientConn} = ${client.strictCapacity}: ` +
      `${client.fitsStrict ? 'fits' : 'over (warning)'}`,
    `  assumption: ${client.assumption}`,
  ];
}
