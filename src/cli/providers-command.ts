/** `clientats-deploy providers`: the provider presets, as a table or JSON. Loaded by `runCli` only for `providers`. */
import { usableSlots } from '../budget/compute-budget.js';
import { listProviders } from '../budget/providers.js';
import { EXIT, type CliIo } from './cli-io.js';
import { UsageError, type ParsedOptions } from './cli-options.js';

/** Runs `providers`; returns the exit code. */
export function providers(options: ParsedOptions, io: CliIo): number {
  if (options.positionals.length > 0)
    throw new UsageError(
      `providers takes no arguments, got ${options.positionals.map((path) => JSON.stringify(path)).join(', ')}`,
    );
  const presets = listProviders();
  if (options.values.json === true) {
    io.stdout.write(`${JSON.stringify(presets, null, 2)}\n`);
    return EXIT.fits;
  }
  const rows = [
    ['preset', 'max_connections', 'reserved', 'usable', 'verify'],
    ...presets.map((preset) => [
      preset.name,
      String(preset.maxConnections),
      String(preset.superuserReserved + preset.providerReserved),
      String(
        usableSlots({
          name: preset.name,
          maxConnections: preset.maxConnections,
          superuserReserved: preset.superuserReserved,
          providerReserved: preset.providerReserved,
        }).usable,
      ),
      preset.verify ? 'verify' : '',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
  const sources = [...new Set(presets.map((preset) => `${preset.name.split(':')[0]}: ${preset.source}`))];
  io.stdout.write(
    `${lines.join('\n')}\n\nAlso: aws-rds:<N>gib (LEAST(memory/9531392, 5000), verify) ` +
      `and digitalocean:<N>gib (25 per GiB, verify).\n\nSources:\n` +
      `${sources.map((source) => `  ${source}`).join('\n')}\n`,
  );
  return EXIT.fits;
}
