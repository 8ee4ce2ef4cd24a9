// The ImageResolver port: turns an OCI image reference (a tag) into the digest a release pins, so every
// instance and every restart of the release runs the same bytes.
import { userError } from '@trc/core';

export interface ImageResolver {
  /** The manifest digest (`sha256:<64 hex>`) the reference names now. */
  resolve(reference: string): Promise<string>;
}

/** `registry/repo:tag` or `repo@sha256:...`: letters, digits and `._/:@-`, never starting with `-`. */
const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,510}$/;
export const PINNED_DIGEST = /@(sha256:[0-9a-f]{64})$/;

export function checkReference(reference: string): void {
  if (!REFERENCE.test(reference)) throw userError('TRC_RELEASE_INVALID', `"${reference.slice(0, 200)}" is not an image reference`, 'e.g. registry.example.com/team/app:1.4 or ...@sha256:<64 hex>');
}

/** The registry host a reference names (Docker Hub when the first part is not a host). */
export function registryHost(reference: string): string {
  const first = reference.split('/')[0]!;
  return reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}
