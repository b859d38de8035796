/**
 * A database's budget as a Mermaid `xychart-beta` for `check --markdown` (GitHub
 * renders Mermaid in Markdown files and job summaries). Mermaid's bar series
 * do not stack, so each consumer's segment is drawn as a bar of the running
 * total up to it, tallest first: the bars overlap into a stacked bar. Two line
 * series are the usable count and max_connections. Mermaid charts have no
 * legend, so a line under the chart names the colours.
 */
import { BUDGET_CASES, type DatabaseShare } from './observability-input.js';
import { CONSUMER_COLOURS } from './budget-svg.js';

const USABLE_COLOUR = '#D55E00';
const MAX_COLOUR = '#8B0000';
const COLOUR_NAMES: Readonly<Record<string, string>> = {
  '#0072B2': 'blue',
  '#E69F00': 'orange',
  '#009E73': 'green',
  '#CC79A7': 'pink',
  '#56B4E9': 'sky blue',
  '#F0E442': 'yellow',
  '#7F7F7F': 'grey',
  '#000000': 'black',
};

/** The running totals per case, one series per consumer: series `i` is consumers `0..i` summed. */
export function cumulativeSeries(database: DatabaseShare): number[][] {
  const series: number[][] = [];
  let running = BUDGET_CASES.map(() => 0);
  for (const consumer of database.consumers) {
    running = BUDGET_CASES.map((mode, index) => running[index]! + consumer.connections[mode]);
    series.push(running);
  }
  return series;
}

/** A fenced `mermaid` block and the legend line under it. */
export function budgetMermaid(database: DatabaseShare): string {
  const series = cumulativeSeries(database);
  const top = Math.max(database.maxConnections, ...BUDGET_CASES.map((mode) => database.totals[mode]));
  const colour = (index: number): string => CONSUMER_COLOURS[index % CONSUMER_COLOURS.length]!;
  // Tallest (all consumers) first, so each shorter running total is drawn over it.
  const order = series.map((_, index) => index).reverse();
  const palette = [...order.map(colour), USABLE_COLOUR, MAX_COLOUR].join(', ');
  const lines = [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette}"}}}}%%`,
    'xychart-beta',
    `  title "${quote(database.database)}: connections per case (${database.mode} enforced)"`,
    `  x-axis [${BUDGET_CASES.join(', ')}]`,
    `  y-axis "connections" 0 --> ${Math.ceil((top * 11) / 10)}`,
    ...order.map((index) => `  bar [${series[index]!.join(', ')}]`),
    `  line [${BUDGET_CASES.map(() => database.usable).join(', ')}]`,
    `  line [${BUDGET_CASES.map(() => database.maxConnections).join(', ')}]`,
    '```',
    '',
    'Bars, bottom to top: ' +
      database.consumers
        .map((consumer, index) => `${consumer.name} (${COLOUR_NAMES[colour(index)] ?? colour(index)})`)
        .join(', ') +
      '; ' +
      `lines: usable ${database.usable} (vermilion), max_connections ${database.maxConnections} (dark red).`,
    '',
  ];
  return lines.join('\n');
}

function quote(text: string): string {
  return text.replace(/"/g, "'");
}
