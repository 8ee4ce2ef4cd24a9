// Renders secrets as a TRC_SECRETS_V1 file: what `platform secrets render` prints and the agent writes into each instance.
import { userError } from '../errors/errors.ts';
import { encodeBase64 } from './base64.ts';
import { BASE64_PREFIX, decodeUtf8, isSecretKey, rawValueObstacle, SECRETS_FILE_HEADER, type SecretEntry } from './format.ts';

const PREFIX = new TextEncoder().encode(BASE64_PREFIX);

function needsBase64(value: Uint8Array): boolean {
  if (rawValueObstacle(value) !== undefined) return true;
  // A raw value that itself begins with "base64:" would be read back decoded.
  return value.length >= PREFIX.length && PREFIX.every((b, i) => value[i] === b);
}

/**
 * Renders entries, in the order given, as the text of a secrets file (always valid UTF-8, `\n` line
 * endings, final newline). A value is written raw when it is UTF-8 without `\n`, `\r` or NUL and does not
 * begin with `base64:`; otherwise as `base64:` + standard padded base64. Throws TRC_SECRETS_KEY_INVALID or
 * TRC_SECRETS_KEY_DUPLICATE (naming the key, never a value) rather than render an invalid file.
 */
export function renderSecretsFile(entries: Iterable<SecretEntry>): string {
  const lines = [SECRETS_FILE_HEADER];
  const seen = new Set<string>();
  for (const { key, value } of entries) {
    if (!isSecretKey(key)) throw userError('TRC_SECRETS_KEY_INVALID', `secret key ${JSON.stringify(key)} must be one or more of A-Z, 0-9 and _`, 'use upper case, e.g. DATABASE_URL');
    if (seen.has(key)) throw userError('TRC_SECRETS_KEY_DUPLICATE', `secret key ${key} is given twice`, 'give each key once');
    seen.add(key);
    lines.push(`${key}=${needsBase64(value) ? BASE64_PREFIX + encodeBase64(value) : decodeUtf8(value)!}`);
  }
  return `${lines.join('\n')}\n`;
}
