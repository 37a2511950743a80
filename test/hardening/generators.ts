/**
 * fast-check arbitraries for the hardening tests: JSON values that stress a store's
 * encoding (every Unicode unit including lone surrogates, `__proto__` keys, extreme
 * numbers), and values built to sit exactly at, or just over, the API's documented
 * limits (64 KiB as JSON, 64 levels of nesting).
 */
import fc from 'fast-check';

/** Strings that broke real JSON stores: NUL, line separators, lone surrogates, astral characters. */
const NASTY_STRINGS = [
  '',
  '\u0000',
  '\u2028\u2029',
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '😀',
  '"\\/\b\f\n\r\t',
  '\u007f\u0080\u00ff',
  '中文',
  '%00',
  '{}',
  '__proto__',
];
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', '0', '-1', '1e3', ' ', '\u0000', '\ud800'];
/** Numbers whose text form is easy to get wrong: extremes, subnormals, exponents, integers past 2^53. */
const NASTY_NUMBERS = [
  0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  5e-324,
  -5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  -(2 ** 63),
  123456789.12345679,
];

const nastyLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(...NASTY_NUMBERS),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(true, false, null),
);

/** Objects whose keys include the ones JavaScript treats specially. Built with defineProperty so `__proto__` is an own key. */
const nastyObject = (inner: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ unit: 'binary', maxLength: 12 })), inner), { maxLength: 6 })
    .map((pairs) => {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of pairs) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
      return obj;
    });

/** Any JSON value a client could send, biased toward what stores get wrong. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 6 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }) },
  {
    weight: 3,
    arbitrary: fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        nastyLeaf,
        fc.array(tie('node'), { maxLength: 5 }),
        nastyObject(tie('node')),
      ),
    })).node,
  },
);

/** Characters of every UTF-8 width and every JSON escape form, for sizing values by their bytes as JSON. */
const SIZED_CHARS = ['a', 'é', '中', '😀', '"', '\\', '\n', '\u0001', '\ud800'];

/**
 * A value whose JSON text is exactly `bytes` bytes of UTF-8: random characters of
 * random widths and escapes, optionally wrapped in an object or an array, padded with
 * ASCII to the byte. Returns null when the wrapping alone is larger.
 */
export function valueOfJsonBytes(bytes: number, chars: number[], wrap: 'string' | 'object' | 'array'): unknown {
  let text = '';
  for (const c of chars) text += SIZED_CHARS[c % SIZED_CHARS.length];
  const make = (s: string): unknown => (wrap === 'string' ? s : wrap === 'object' ? { k: s } : [s]);
  const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
  // Drop characters until there is room, then pad: each ASCII letter adds exactly one byte.
  while (text.length > 0 && size(make(text)) > bytes) text = text.slice(0, -1);
  const missing = bytes - size(make(text));
  if (missing < 0) return null;
  return make(text + 'a'.repeat(missing));
}

/** A value `levels` containers deep (`[[1]]` is 2), each level randomly an array or an object. */
export function valueOfDepth(levels: number, kinds: boolean[], leaf: unknown): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = kinds[i % kinds.length] ? [v] : { [`l${i}`]: v };
  return v;
}
