/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4),
 * for tests: every line must be a HELP, a TYPE or a sample of a declared
 * family; label values must be quoted and escaped; histogram buckets must be
 * cumulative and end with `+Inf` equal to `_count`. Throws on the first bad line.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family. */
export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses exposition text into families by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} ${JSON.stringify(line)}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      const [, name, ...rest] = line.split(' ').slice(1);
      if (name === undefined || !NAME.test(name)) throw new Error(`bad HELP at ${where}`);
      helps.set(name, rest.join(' '));
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const parts = line.split(' ');
      const name = parts[2];
      const type = parts[3];
      if (
        parts.length !== 4 ||
        name === undefined ||
        !NAME.test(name) ||
        type === undefined ||
        !TYPES.has(type)
      )
        throw new Error(`bad TYPE at ${where}`);
      if (families.has(name)) throw new Error(`family ${name} declared twice at ${where}`);
      families.set(name, { name, type: type as Family['type'], help: helps.get(name) ?? '', samples: [] });
      return;
    }
    if (line.startsWith('#')) return;
    const sample = parseSample(line, where);
    const family = familyOf(families, sample.name);
    if (family === undefined) throw new Error(`sample of an undeclared family at ${where}`);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function parseSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (match === null) throw new Error(`bad sample at ${where}`);
  const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
  return {
    name,
    labels: labelText === undefined ? {} : parseLabels(labelText.slice(1, -1), where),
    value: parseValue(valueText, where),
  };
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const eq = rest.indexOf('=');
    const name = rest.slice(0, eq);
    if (eq < 1 || !LABEL_NAME.test(name) || rest[eq + 1] !== '"') throw new Error(`bad label at ${where}`);
    let value = '';
    let position = eq + 2;
    for (;;) {
      const char = rest[position];
      if (char === undefined) throw new Error(`unterminated label value at ${where}`);
      if (char === '"') break;
      if (char === '\\') {
        const escaped = rest[position + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else throw new Error(`bad escape in label value at ${where}`);
        position += 2;
        continue;
      }
      value += char;
      position += 1;
    }
    if (name in labels) throw new Error(`label ${name} repeated at ${where}`);
    labels[name] = value;
    rest = rest.slice(position + 1);
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest !== '') throw new Error(`expected , between labels at ${where}`);
  }
  return labels;
}

/** Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case; prom-client writes `Nan`). */
function parseValue(text: string, where: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special !== null)
    return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value at ${where}`);
  return Number(text);
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (
      family !== undefined &&
      (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))
    )
      return family;
  }
  return undefined;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  const keyOf = (labels: Readonly<Record<string, string>>): string =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([name]) => name !== 'le')
        .sort(),
    );
  for (const sample of family.samples) {
    const key = keyOf(sample.labels);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) {
      const le = sample.labels.le;
      if (le === undefined) throw new Error(`${family.name} bucket without le`);
      entry.buckets.push([parseValue(le, `${family.name} le`), sample.value]);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
  }
  for (const [key, entry] of series) {
    const last = entry.buckets.at(-1);
    if (last === undefined || last[0] !== Infinity)
      throw new Error(`${family.name}${key} has no +Inf bucket`);
    for (let index = 1; index < entry.buckets.length; index += 1) {
      const [previousLe, previous] = entry.buckets[index - 1] as [number, number];
      const [le, value] = entry.buckets[index] as [number, number];
      if (le <= previousLe || value < previous)
        throw new Error(`${family.name}${key} buckets are not cumulative`);
    }
    if (entry.count !== last[1])
      throw new Error(`${family.name}${key} +Inf bucket ${last[1]} differs from _count ${entry.count}`);
  }
}

/** The value of the one sample with exactly these labels (0 when absent). */
export function sampleValue(
  families: Map<string, Family>,
  sampleName: string,
  labels: Record<string, string> = {},
): number {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== sampleName) continue;
      const names = Object.keys(sample.labels);
      if (
        names.length === Object.keys(labels).length &&
        names.every((name) => sample.labels[name] === labels[name])
      )
        return sample.value;
    }
  }
  return 0;
}
