// fast-check arbitraries for secrets, shared by the renderer's and the shell utility's property tests.
import fc from 'fast-check';
import type { SecretEntry } from '../format.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Values of any bytes, biased towards the edge cases of the format and of shells. */
export const arbitraryValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ maxLength: 30 }).map(text),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map(text),
  fc.array(fc.constantFrom('\n', '\r', '\0', "'", '\\', '%', 'base64:', '=', ' ', '#', '$', '\u0081', '\u00ff', '\ufeff', 'a'), { maxLength: 8 }).map((p) => text(p.join(''))),
);

/** Arbitrary secrets with unique keys matching `keys`. */
export function arbitrarySecretsWith(keys: fc.Arbitrary<string>, value: fc.Arbitrary<Uint8Array> = arbitraryValue, maxLength = 8): fc.Arbitrary<SecretEntry[]> {
  return fc.uniqueArray(fc.tuple(keys, value).map(([key, v]) => ({ key, value: v })), { selector: (e) => e.key, maxLength });
}

/** Arbitrary secrets: any valid key (digits first included), any bytes. */
export const arbitrarySecrets = arbitrarySecretsWith(fc.stringMatching(/^[A-Z0-9_]{1,12}$/));
