/**
 * The diagnostics bearer check under arbitrary `Authorization` values
 * (fast-check): it lets in exactly `Bearer <token>` (scheme in any case, one or
 * more spaces), nothing else, and it lets nobody in when no token is configured.
 * Every non-empty presented token goes through one fixed-size constant-time
 * comparison, whatever its length (observed with a spy on `timingSafeEqual`).
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const comparisons = vi.hoisted(() => ({ sizes: [] as Array<[number, number]> }));

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      comparisons.sizes.push([a.byteLength, b.byteLength]);
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const { createBearerVerifier } = await import('../../src/health/bearer-token.js');

/** Header values as HTTP can carry them: visible ASCII, spaces and tabs (Node trims the ends). */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 60,
});
const tokens = fc.oneof(
  headerText.filter((token) => token.trim() === token && token !== ''),
  fc.constantFrom('s3cr3t', 'x', 'a'.repeat(500)),
);
const schemes = fc.constantFrom(
  'Bearer',
  'bearer',
  'BEARER',
  'BeArEr',
  'Basic',
  'Token',
  'Bearer:',
  '',
  'Bearer\t',
);

/** The rule in words: scheme `bearer` in any case, at least one space, then exactly the token. */
function shouldAccept(header: string, token: string): boolean {
  const match = /^bearer( +)(.*)$/is.exec(header);
  return match !== null && match[2] === token;
}

describe('diagnostics bearer check under hostile Authorization values', () => {
  beforeEach(() => {
    comparisons.sizes.length = 0;
  });

  it('accepts exactly Bearer <token>, scheme in any case, and rejects every other value', () => {
    fc.assert(
      fc.property(
        tokens,
        schemes,
        fc.constantFrom(' ', '  ', ''),
        fc.oneof(headerText, tokens),
        fc.boolean(),
        (token, scheme, gap, other, presentRight) => {
          const verify = createBearerVerifier(token);
          const header = `${scheme}${gap}${presentRight ? token : other}`;
          expect(verify(header)).toBe(shouldAccept(header, token));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('rejects near misses: other case, a prefix, an extension, surrounding quotes, a second credential', () => {
    const verify = createBearerVerifier('Secret-Token-123');
    const nearMisses = [
      'Bearer secret-token-123',
      'Bearer SECRET-TOKEN-123',
      'Bearer Secret-Token-12',
      'Bearer Secret-Token-1234',
      'Bearer "Secret-Token-123"',
      'Bearer Secret-Token-123, Bearer x',
      'Bearer Secret-Token-123 ',
      'Bearer\tSecret-Token-123',
      'Basic Secret-Token-123',
      'Secret-Token-123',
      'BearerSecret-Token-123',
      'Bearer',
      'Bearer ',
      '',
    ];
    expect(nearMisses.filter((header) => verify(header))).toEqual([]);
    expect(
      ['Bearer Secret-Token-123', 'bearer Secret-Token-123', 'BEARER  Secret-Token-123'].map((header) =>
        verify(header),
      ),
    ).toEqual([true, true, true]);
  });

  it('lets nobody in when no token is configured, whatever is presented', () => {
    for (const configured of [undefined, '']) {
      const verify = createBearerVerifier(configured);
      fc.assert(
        fc.property(
          fc.oneof(
            headerText,
            fc.constantFrom('Bearer ', 'Bearer', 'Bearer undefined', 'Bearer null', 'Bearer ""'),
          ),
          (header) => {
            expect(verify(header)).toBe(false);
          },
        ),
        { numRuns: 200 },
      );
      expect(verify(undefined)).toBe(false);
    }
    expect(comparisons.sizes).toEqual([]);
  });

  it('compares every presented token in one fixed-size constant-time comparison, whatever its length', () => {
    const verify = createBearerVerifier('the-configured-token');
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 2000 })
          .filter((token) => !token.includes('\n') && !/^ *$/.test(token)),
        (presented) => {
          comparisons.sizes.length = 0;
          verify(`Bearer ${presented}`);
          expect(comparisons.sizes).toEqual([[32, 32]]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
