/**
 * Measured figures of a scenario, for RELIABILITY.md. Tests never assert on
 * these timings; they only record them. With `RELIABILITY_FIGURES=<file>` each
 * scenario appends one JSON line to that file; otherwise nothing is written.
 */
import { appendFileSync } from 'node:fs';

/** What one scenario measured. */
export type Figures = Readonly<Record<string, unknown>>;

/** Appends a scenario's figures to `$RELIABILITY_FIGURES`, when set. */
export function recordFigures(scenario: string, figures: Figures): void {
  const file = process.env.RELIABILITY_FIGURES;
  if (file === undefined || file === '') return;
  appendFileSync(file, `${JSON.stringify({ scenario, at: new Date().toISOString(), ...figures })}\n`);
}

/** Milliseconds rounded to a whole number, for figures. */
export function ms(value: number): number {
  return Math.round(value);
}
