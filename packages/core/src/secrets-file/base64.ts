// Strict RFC 4648 standard base64 (padded): the only escape TRC_SECRETS_V1 allows for values.
// Written here rather than taken from Buffer, which silently accepts sloppy input and is not in pure core.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** Why a text is not canonical base64; the reason never quotes the text. */
export type Base64Result = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: string };

/**
 * Decodes standard padded base64, refusing anything a canonical encoder would not produce: characters
 * outside the alphabet, a length that is not a multiple of 4, misplaced or excess `=`, and non-zero
 * trailing bits (so each byte string has exactly one accepted encoding).
 */
export function decodeBase64Strict(text: string): Base64Result {
  if (text.length % 4 !== 0) return { ok: false, reason: `its length (${text.length}) is not a multiple of 4` };
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const at = i + j;
      const c = text.charCodeAt(at);
      if (c === 61 && at >= text.length - pad) {
        n <<= 6;
        continue;
      }
      const s = c < 128 ? SEXTET[c]! : -1;
      if (s < 0) return { ok: false, reason: c === 61 ? `'=' at character ${at + 1} is not final padding` : `character ${at + 1} is not in the base64 alphabet` };
      n = (n << 6) | s;
    }
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    const keep = i + 4 === text.length ? 3 - pad : 3;
    for (let k = 0; k < 3; k++) {
      if (k < keep) out[o++] = bytes[k]!;
      else if (bytes[k] !== 0) return { ok: false, reason: 'its trailing bits before the padding are not zero (not canonical)' };
    }
  }
  return { ok: true, bytes: out };
}
