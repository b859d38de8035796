/**
 * Static inputs in `templates/` (Compose bases, Heroku app.json and Procfile):
 * loaded as data and merged structurally with what the generator adds, never
 * by string substitution.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const TEMPLATES = new URL('../../templates/', import.meta.url);

/** A template's text, e.g. `heroku/Procfile`. */
export function readTemplate(path: string): string {
  return readFileSync(new URL(path, TEMPLATES), 'utf8');
}

/** A YAML or JSON template parsed to plain data. */
export function loadTemplate(path: string): Record<string, unknown> {
  const document: unknown = parse(readTemplate(path));
  if (!isPlainObject(document)) throw new Error(`template ${path} must hold a mapping at the top level`);
  return document;
}

/**
 * `overlay` merged onto `base`: mappings merge key by key (recursively), any
 * other value in `overlay` (lists included) replaces the one in `base`, and
 * `undefined` in `overlay` is skipped at any depth. Neither input is modified.
 */
export function mergeStructures<T extends Record<string, unknown>>(
  base: T,
  overlay: Record<string, unknown>,
): T {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === undefined) continue;
    const current = merged[key];
    if (isPlainObject(value)) merged[key] = mergeStructures(isPlainObject(current) ? current : {}, value);
    else merged[key] = value;
  }
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
