import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { BUDGET_CASES, budgetSvg, type DatabaseShare } from '../../src/observability/index.js';
import { KUBERNETES_DATABASE, SHARED_DATABASE } from './observability-fixtures.js';

/** Parses XML, throwing on any well-formedness error or warning. */
function parseXml(text: string): Document {
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(text, 'image/svg+xml');
}

const elements = (document: Document, name: string): Element[] =>
  Array.from(document.getElementsByTagName(name));

describe('budgetSvg', () => {
  const databases: DatabaseShare[] = [SHARED_DATABASE, KUBERNETES_DATABASE];
  const document = parseXml(budgetSvg(databases));

  it('is well-formed SVG with a title for screen readers', () => {
    const root = document.documentElement!;
    expect(root.tagName).toBe('svg');
    expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(elements(document, 'title')[0]!.textContent).toContain('Connection budget');
  });

  it("draws one segment per consumer and case whose figure is the report's, stacked to the total", () => {
    const segments = elements(document, 'rect').filter((rect) => rect.getAttribute('class') === 'segment');
    for (const database of databases) {
      for (const mode of BUDGET_CASES) {
        const drawn = segments.filter(
          (rect) =>
            rect.getAttribute('data-database') === database.database &&
            rect.getAttribute('data-case') === mode,
        );
        const expected = database.consumers.filter((consumer) => consumer.connections[mode] > 0);
        expect(
          drawn.map((rect) => [
            rect.getAttribute('data-consumer'),
            Number(rect.getAttribute('data-connections')),
          ]),
        ).toEqual(expected.map((consumer) => [consumer.name, consumer.connections[mode]]));
        // Heights are the figures at one scale per panel, and the segments touch.
        const scale =
          Number(drawn[0]!.getAttribute('height')) / Number(drawn[0]!.getAttribute('data-connections'));
        drawn.forEach((rect, index) => {
          expect(Number(rect.getAttribute('height'))).toBeCloseTo(
            Number(rect.getAttribute('data-connections')) * scale,
            0,
          );
          if (index > 0)
            expect(Number(rect.getAttribute('y')) + Number(rect.getAttribute('height'))).toBeCloseTo(
              Number(drawn[index - 1]!.getAttribute('y')),
              0,
            );
        });
      }
    }
    expect(segments).toHaveLength(4 * 3 + 1 * 3);
    const totals = elements(document, 'text').filter((text) => text.getAttribute('data-total') !== null);
    expect(totals.map((text) => Number(text.getAttribute('data-total')))).toEqual(
      databases.flatMap((database) => BUDGET_CASES.map((mode) => database.totals[mode])),
    );
  });

  it('draws the usable line and max_connections of each database', () => {
    const bounds = elements(document, 'line').filter((line) => line.getAttribute('class') === 'bound');
    expect(
      bounds.map((line) => [line.getAttribute('data-bound'), Number(line.getAttribute('data-value'))]),
    ).toEqual([
      ['max_connections', 200],
      ['usable', 197],
      ['max_connections', 100],
      ['usable', 97],
    ]);
    expect(Number(bounds[0]!.getAttribute('y1'))).toBeLessThan(Number(bounds[1]!.getAttribute('y1')));
  });

  it('escapes names, so any consumer name stays well-formed', () => {
    const odd: DatabaseShare = {
      ...KUBERNETES_DATABASE,
      database: 'db <"&">',
      consumers: [{ ...KUBERNETES_DATABASE.consumers[0]!, name: 'a&b <c>' }],
    };
    const parsed = parseXml(budgetSvg([odd]));
    expect(
      elements(parsed, 'rect')
        .find((rect) => rect.getAttribute('class') === 'segment')!
        .getAttribute('data-consumer'),
    ).toBe('a&b <c>');
  });

  it('fails when the XML is not well-formed (the check can fail)', () => {
    expect(() => parseXml(budgetSvg([KUBERNETES_DATABASE]).replace('</svg>', ''))).toThrow();
  });
});
