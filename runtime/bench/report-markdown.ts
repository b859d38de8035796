/**
 * Renders a bench report as Markdown: per section, a table of measurements
 * (median and min–max over repetitions) and a table of comparisons.
 */
import type { BenchReport, BenchSection, Comparison, Measurement } from './bench-report.js';
import type { Summary } from './statistics.js';

/** A number with sensible precision for a table. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) || magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function formatSummary(summary: Summary | undefined): string {
  if (summary === undefined) return '–';
  if (summary.samples.length === 1) return formatNumber(summary.median);
  return `${formatNumber(summary.median)} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

function measurementTable(measurements: readonly Measurement[]): string[] {
  if (measurements.length === 0) return [];
  const metrics = [...new Set(measurements.flatMap((measurement) => Object.keys(measurement.metrics)))];
  const facts = [...new Set(measurements.flatMap((measurement) => Object.keys(measurement.facts ?? {})))];
  const header = ['contender', ...metrics.map((metric) => `${metric} median (min–max)`), ...facts];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const measurement of measurements) {
    const cells = [
      measurement.label,
      ...metrics.map((metric) => formatSummary(measurement.metrics[metric])),
      ...facts.map((fact) => {
        const value = measurement.facts?.[fact];
        return value === undefined ? '–' : typeof value === 'number' ? formatNumber(value) : value;
      }),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

function formatComparison(comparison: Comparison, value: number): string {
  return comparison.kind === 'ratio' ? `${value.toFixed(2)}×` : `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

function comparisonTable(comparisons: readonly Comparison[]): string[] {
  if (comparisons.length === 0) return [];
  const lines = [
    '| comparison | metric | median | paired min–max | target | met |',
    '|---|---|---|---|---|---|',
  ];
  for (const comparison of comparisons) {
    const target =
      comparison.target === undefined
        ? '–'
        : `${comparison.target.operator} ${formatComparison(comparison, comparison.target.value)}`;
    const met = comparison.met === undefined ? '–' : comparison.met ? 'yes' : '**no**';
    lines.push(
      `| ${comparison.label} | ${comparison.metric} | ` +
        `${formatComparison(comparison, comparison.value)} | ` +
        `${formatComparison(comparison, comparison.pairedMin)}–` +
        `${formatComparison(comparison, comparison.pairedMax)} | ${target} | ${met} |`,
    );
  }
  return lines;
}

function sectionMarkdown(section: BenchSection): string[] {
  const lines = [`### ${section.title}`, ''];
  if (section.skipped !== undefined) lines.push(`Skipped: ${section.skipped}`, '');
  for (const note of section.notes) lines.push(`- ${note}`);
  if (section.notes.length > 0) lines.push('');
  const measured = measurementTable(section.measurements);
  if (measured.length > 0) lines.push(...measured, '');
  const compared = comparisonTable(section.comparisons);
  if (compared.length > 0) lines.push(...compared, '');
  return lines;
}

/** The whole report. */
export function reportMarkdown(report: BenchReport): string {
  const lines = ['## Bench run', ''];
  lines.push(`Started ${report.startedAt}, finished ${report.finishedAt}.`, '');
  lines.push('| machine | |', '|---|---|');
  for (const [key, value] of Object.entries(report.machine)) lines.push(`| ${key} | ${value} |`);
  lines.push('', '| setting | |', '|---|---|');
  for (const [key, value] of Object.entries(report.settings)) lines.push(`| ${key} | ${value} |`);
  lines.push('');
  for (const section of report.sections) lines.push(...sectionMarkdown(section));
  return lines.join('\n');
}
