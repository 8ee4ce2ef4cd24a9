// The rules of TRC_SECRETS_V1 (ADR 0010) that both the parser and the renderer apply.

/** Line 1 of every secrets file, exactly. */
export const SECRETS_FILE_HEADER = '# TRC_SECRETS_V1';

/** Values starting with this are base64; a raw value starting with it must itself be encoded. */
export const BASE64_PREFIX = 'base64:';

/** Where the node agent writes the file inside each instance, and where platform-secrets-export reads it. */
export const SECRETS_FILE_PATH = '/run/secrets/platform.env';

/** A secret: its key and its value as bytes (values need not be text). */
export interface SecretEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

const KEY = /^[A-Z0-9_]+$/;

/** Whether a key is valid: one or more of A-Z, 0-9 and _. (A key starting with a digit is valid in the file, but no shell can export it.) */
export function isSecretKey(key: string): boolean {
  return KEY.test(key);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes strict UTF-8 (no replacement, a leading BOM kept as data), or undefined. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Why a value cannot be written raw, or undefined when it can. */
export function rawValueObstacle(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0x0a)) return 'contains a newline';
  if (bytes.includes(0x0d)) return 'contains a carriage return';
  if (bytes.includes(0x00)) return 'contains a NUL byte';
  if (decodeUtf8(bytes) === undefined) return 'is not valid UTF-8';
  return undefined;
}
