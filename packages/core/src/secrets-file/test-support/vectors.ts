// Loads the shared TRC_SECRETS_V1 vectors (vectors.json), used by the TypeScript and the shell tests alike.
import vectorsJson from '../vectors.json' with { type: 'json' };
import { decodeBase64Strict } from '../base64.ts';

export type Blob = { readonly text: string } | { readonly base64: string };

export interface ValidVector {
  readonly name: string;
  readonly file: Blob;
  readonly entries: readonly { readonly key: string; readonly value: Blob }[];
}
export interface InvalidVector {
  readonly name: string;
  readonly file: Blob;
  readonly problems: readonly { readonly line: number; readonly code: string }[];
}
export interface UnexportableVector {
  readonly name: string;
  readonly file: Blob;
  readonly keys: readonly string[];
}
export interface Vectors {
  readonly valid: readonly ValidVector[];
  readonly invalid: readonly InvalidVector[];
  readonly unexportable: readonly UnexportableVector[];
}

export const vectorsPath = new URL('../vectors.json', import.meta.url);

export function loadVectors(): Vectors {
  return vectorsJson as Vectors;
}

export function blobBytes(blob: Blob): Uint8Array {
  if ('text' in blob) return new TextEncoder().encode(blob.text);
  const decoded = decodeBase64Strict(blob.base64);
  if (!decoded.ok) throw new Error(`vectors.json: invalid base64 (${decoded.reason})`);
  return decoded.bytes;
}
