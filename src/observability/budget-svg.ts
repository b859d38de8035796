/**
 * The connection budget as a picture (`dist/connection-budget.svg`): one panel
 * per database, with a stacked bar per case (steady, rollout, strict), one
 * segment per consumer, against the database's usable line and its
 * max_connections. Self-contained SVG (no scripts, fonts or links), so a
 * browser and GitHub's file view show it as it is. Every bar segment and line
 * carries its figure in `data-*` attributes, which the tests compare with the
 * report.
 */
import { BUDGET_CASES, type BudgetCase, type DatabaseShare } from './observability-input.js';

/** Colour-blind-safe palette (Okabe–Ito), one colour per consumer in report order. */
export const CONSUMER_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#7F7F7F',
  '#000000',
];

const PANEL_WIDTH = 480;
const PANEL_HEIGHT = 340;
const COLUMNS = 2;
const PLOT = { left: 56, right: 150, top: 64, bottom: 72 };
const BAR_WIDTH = 64;
const LEGEND_LINE = 16;
const USABLE_COLOUR = '#D55E00';
const MAX_COLOUR = '#8B0000';

/** The SVG text of every database's budget, two panels a row. */
export function budgetSvg(databases: readonly DatabaseShare[]): string {
  const columns = Math.min(COLUMNS, Math.max(1, databases.length));
  const width = columns * PANEL_WIDTH;
  const panels: string[] = [];
  let y = 40;
  for (let start = 0; start < databases.length; start += columns) {
    const row = databases.slice(start, start + columns);
    // A row is as tall as its longest legend needs.
    const legendLines = Math.max(...row.map((database) => legendItems(database).at(-1)!.line + 1));
    row.forEach((database, index) => {
      panels.push(`<g transform="translate(${index * PANEL_WIDTH},${y})">\n${panel(database)}\n</g>`);
    });
    y += PANEL_HEIGHT + (legendLines - 1) * LEGEND_LINE;
  }
  const height = databases.length === 0 ? 100 : y;
  const empty =
    databases.length === 0 ? `<text x="16" y="70" class="note">no database in the report</text>` : '';
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'role="img" aria-labelledby="chart-title">',
    '<title id="chart-title">Connection budget: connections per consumer in the steady, rollout and strict cases, ' +
      "against each database's usable connections and max_connections</title>",
    '<style>text{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;fill:#24292f}' +
      '.title{font-size:15px;font-weight:600}.subtitle,.note{font-size:12px;fill:#57606a}.tick{font-' +
      'size:11px;fill:#57606a}' +
      '.case{font-size:12px}.enforced{font-weight:700}.total{font-size:12px;font-weight:700}.over{fill:#cf222e}' +
      '.segment-label{font-size:11px;fill:#ffffff}.legend{font-size:12px}.line-label{font-size:11px;' +
      'font-weight:600}</style>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    '<text x="16" y="26" class="title">Connection budget per database</text>',
    ...panels,
    empty,
    '</svg>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}

/** One database's panel, drawn in a PANEL_WIDTH × PANEL_HEIGHT box. */
function panel(database: DatabaseShare): string {
  const plotWidth = PANEL_WIDTH - PLOT.left - PLOT.right;
  const plotHeight = PANEL_HEIGHT - PLOT.top - PLOT.bottom;
  const top = niceCeiling(
    Math.max(database.maxConnections, ...BUDGET_CASES.map((mode) => database.totals[mode])) * 1.08,
  );
  const scale = plotHeight / top;
  const yOf = (value: number): number => round(PLOT.top + plotHeight - value * scale);
  const out: string[] = [];
  const enforced = database.totals[database.mode];
  const spare = database.usable - enforced;
  out.push(`<text x="16" y="22" class="title">${escape(database.database)}</text>`);
  out.push(
    `<text x="16" y="40" class="subtitle">${database.mode} enforced: ${enforced} of ${database.usable} usable, ` +
      `${spare >= 0 ? `${spare} spare` : `${-spare} over`}</text>`,
  );
  for (const tick of ticks(top)) {
    out.push(
      `<line x1="${PLOT.left}" x2="${PLOT.left + plotWidth}" y1="${yOf(tick)}" y2="${yOf(tick)}" stroke="#eaeef2"/>`,
    );
    out.push(`<text x="${PLOT.left - 6}" y="${yOf(tick) + 4}" text-anchor="end" class="tick">${tick}</text>`);
  }
  out.push(`<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${yOf(0)}" stroke="#8c959f"/>`);
  const bars = BUDGET_CASES.map((mode, index) =>
    bar(database, mode, PLOT.left + plotWidth * ((index + 0.5) / BUDGET_CASES.length), yOf, scale),
  );
  for (const drawn of bars) out.push(drawn.shapes);
  out.push(
    `<line x1="${PLOT.left}" x2="${PLOT.left + plotWidth}" y1="${yOf(0)}" y2="${yOf(0)}" stroke="#8c959f"/>`,
  );
  // Bound lines over the bars; their labels sit right of the plot, pushed apart when the bounds are close.
  const maxY = yOf(database.maxConnections);
  const usableY = yOf(database.usable);
  const labelX = PLOT.left + plotWidth + 6;
  out.push(
    `<line class="bound" data-bound="max_connections" data-value="${database.maxConnections}" x1="${PLOT.left}" ` +
      `x2="${PLOT.left + plotWidth}" y1="${maxY}" y2="${maxY}" stroke="${MAX_COLOUR}" stroke-width="2"/>`,
  );
  out.push(
    `<line class="bound" data-bound="usable" data-value="${database.usable}" x1="${PLOT.left}" x2="` +
      `${PLOT.left + plotWidth}" ` +
      `y1="${usableY}" y2="${usableY}" stroke="${USABLE_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>`,
  );
  const maxLabelY = Math.min(maxY + 4, usableY - 10);
  const usableLabelY = Math.max(usableY + 4, maxLabelY + 14);
  out.push(
    `<text x="${labelX}" y="${maxLabelY}" class="line-label" fill="${MAX_COLOUR}" style="fill:` +
      `${MAX_COLOUR}">max_connections ${database.maxConnections}</text>`,
  );
  out.push(
    `<text x="${labelX}" y="${usableLabelY}" class="line-label" style="fill:${USABLE_COLOUR}">usable ` +
      `${database.usable}</text>`,
  );
  // Totals last, with a white halo, so a bound line never hides them.
  for (const drawn of bars) out.push(drawn.labels);
  out.push(legend(database));
  return out.join('\n');
}

/** One stacked bar: a segment per consumer with connections in this case; its labels (total, case) apart. */
function bar(
  database: DatabaseShare,
  mode: BudgetCase,
  centre: number,
  yOf: (value: number) => number,
  scale: number,
): { shapes: string; labels: string } {
  const out: string[] = [];
  const labels: string[] = [];
  const segments = database.consumers.filter((consumer) => consumer.connections[mode] > 0).length;
  const x = round(centre - BAR_WIDTH / 2);
  let base = 0;
  database.consumers.forEach((consumer, index) => {
    const value = consumer.connections[mode];
    if (value <= 0) return;
    const y = yOf(base + value);
    const height = round(value * scale);
    const colour = CONSUMER_COLOURS[index % CONSUMER_COLOURS.length]!;
    out.push(
      `<rect class="segment" data-database="${escape(database.database)}" data-consumer="${escape(consumer.name)}" ` +
        `data-case="${mode}" data-connections="${value}" x="${x}" y="${y}" width="${BAR_WIDTH}" ` +
        `height="${height}" fill="${colour}" ` +
        `stroke="#ffffff" stroke-width="1"><title>${escape(consumer.name)} (${escape(consumer.kind)}` +
        `), ${mode}: ${value} connections</title></rect>`,
    );
    if (height >= 16 && segments > 1) {
      const labelColour =
        colour === '#F0E442' || colour === '#E69F00' || colour === '#56B4E9' ? ' style="fill:#24292f"' : '';
      out.push(
        `<text x="${round(centre)}" y="${round(y + height / 2 + 4)}" text-anchor="middle" ` +
          `class="segment-label"${labelColour}>${value}</text>`,
      );
    }
    base += value;
  });
  const total = database.totals[mode];
  const over = total > database.usable ? ' over' : '';
  labels.push(
    `<text x="${round(centre)}" y="${yOf(total) - 6}" text-anchor="middle" class="total${over}" data-case="${mode}" ` +
      `data-total="${total}" paint-order="stroke" stroke="#ffffff" stroke-width="4">${total}</text>`,
  );
  const enforced = mode === database.mode;
  labels.push(
    `<text x="${round(centre)}" y="${yOf(0) + 18}" text-anchor="middle" class="case` +
      `${enforced ? ' enforced' : ''}">${mode}</text>`,
  );
  if (enforced)
    labels.push(
      `<text x="${round(centre)}" y="${yOf(0) + 32}" text-anchor="middle" class="note">enforced</text>`,
    );
  return { shapes: out.join('\n'), labels: labels.join('\n') };
}

/** Where each consumer's swatch goes under the plot: wrapped to the panel width, `line` counted from 0. */
function legendItems(database: DatabaseShare): { label: string; x: number; line: number }[] {
  let x = 16;
  let line = 0;
  const items = database.consumers.map((consumer) => {
    const label =
      `${consumer.name} (${consumer.kind}` +
      `${consumer.perInstance > 0 ? `, ${consumer.perInstance} per instance` : ''})`;
    const width = 22 + label.length * 6.6;
    if (x + width > PANEL_WIDTH - 8 && x > 16) {
      x = 16;
      line += 1;
    }
    const item = { label, x, line };
    x += width + 12;
    return item;
  });
  return items.length > 0 ? items : [{ label: '', x: 16, line: 0 }];
}

/** Consumer swatches under the plot. */
function legend(database: DatabaseShare): string {
  return legendItems(database)
    .filter((item) => item.label !== '')
    .map((item, index) => {
      const y = PANEL_HEIGHT - 22 + item.line * LEGEND_LINE;
      return (
        `<rect x="${item.x}" y="${y - 10}" width="12" height="12" fill="` +
        `${CONSUMER_COLOURS[index % CONSUMER_COLOURS.length]}"/>\n` +
        `<text x="${item.x + 16}" y="${y}" class="legend">${escape(item.label)}</text>`
      );
    })
    .join('\n');
}

/** The smallest 1, 2 or 5 × 10^n step that gives at most 6 ticks up to `top`, and those ticks. */
function ticks(top: number): number[] {
  const step = niceStep(top / 5);
  const values: number[] = [];
  for (let value = 0; value <= top + 1e-9; value += step) values.push(round(value));
  return values;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * Math.max(power, 1);
}

/** `value` rounded up to a whole number of the tick step, so the top tick closes the axis. */
function niceCeiling(value: number): number {
  const step = niceStep(Math.max(value, 1) / 5);
  return Math.ceil(Math.max(value, 1) / step) * step;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
