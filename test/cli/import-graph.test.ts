/**
 * The layering the folder tree promises, read from the import statements:
 * the CLI never loads cdk8s (every command stays fast), and `src/budget` is
 * pure arithmetic and report types (no cdk8s, file system or database driver).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module reachable from `entry` (relative imports followed), with the packages each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [resolve(REPOSITORY, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map(
      (match) => match[1] ?? match[2] ?? match[3],
    );
    graph.set(
      file,
      specifiers.filter((specifier) => !specifier.startsWith('.')),
    );
    for (const specifier of specifiers.filter((candidate) => candidate.startsWith('.'))) {
      if (specifier.endsWith('.json')) continue;
      pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return graph;
}

function offenders(graph: Map<string, string[]>, forbidden: RegExp): string[] {
  return [...graph].flatMap(([file, packages]) =>
    packages
      .filter((name) => forbidden.test(name))
      .map((name) => `${relative(REPOSITORY, file)} imports ${name}`),
  );
}

describe('import graph', () => {
  it('keeps cdk8s and constructs out of everything the CLI loads', () => {
    const graph = importGraph('src/cli/main.ts');
    expect(graph.size).toBeGreaterThan(10);
    expect(offenders(graph, /^(cdk8s|cdk8s-plus-\d+|constructs)$/)).toEqual([]);
  });

  it('keeps src/budget free of cdk8s, the file system and the database driver', () => {
    const budget = join(REPOSITORY, 'src/budget');
    const graph = new Map<string, string[]>();
    for (const name of readdirSync(budget).filter((file) => file.endsWith('.ts'))) {
      for (const [file, packages] of importGraph(join('src/budget', name))) graph.set(file, packages);
    }
    expect([...graph.keys()].every((file) => file.startsWith(budget))).toBe(true);
    expect(offenders(graph, /^(cdk8s|cdk8s-plus-\d+|constructs|pg|node:fs|fs|node:fs\/promises)$/)).toEqual(
      [],
    );
  });
});
