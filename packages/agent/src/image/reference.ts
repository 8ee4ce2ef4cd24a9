// Parses OCI image references (`registry/name:tag`, `name@sha256:...`) into what the distribution API needs.
import { userError } from '@trc/core';

/** A parsed image reference. `digest`, when present, is what gets pulled; the tag is then informational. */
export interface ImageReference {
  /** Registry host (and port) as written, e.g. `registry.example:5000`; `docker.io` for Docker Hub names. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `team/app` (`library/busybox` for a bare Hub name). */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const DOCKER_HUB = 'docker.io';

function invalid(ref: string, why: string): Error {
  return userError('TRC_IMAGE_REFERENCE_INVALID', `image reference "${ref}" is invalid: ${why}`,
    'Write it as `registry.example:5000/team/app:1.2` or `registry.example/team/app@sha256:<64 hex>`.');
}

/** Parses a reference the way the distribution reference grammar does; the tag defaults to `latest` unless a digest is given. */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0 || ref.length > 512) throw invalid(ref, 'it must be 1 to 512 characters long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, 'the digest must be sha256: followed by 64 lowercase hex digits');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `the tag "${tag}" must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  // The first component is a registry host only if it looks like one, as in the distribution grammar.
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) throw invalid(ref, `"${registry}" is not a registry host[:port]`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (!COMPONENT.test(part)) throw invalid(ref, `the name component "${part}" must be lowercase letters and digits, separated by . _ __ or -`);
  }
  const repository = parts.join('/');
  if (repository.length + registry.length > 255) throw invalid(ref, 'the name is longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, tag, digest };
}

/** The canonical text of a reference: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The host the distribution API answers on (Docker Hub's API host differs from its name). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** The tag or digest to ask the manifests endpoint for; a digest wins over a tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
