// API tokens: 32 random bytes shown once, stored only as SHA-256 hashes, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenKind } from '@trc/core';
import type { ControlState, TokenState } from '../state/state.ts';

/** Randomness is a parameter so tests are deterministic; production passes crypto.randomBytes. */
export type Random = (bytes: number) => Uint8Array;

const PREFIX: Record<TokenKind, string> = { operator: 'trc_op_', org: 'trc_org_', join: 'trc_join_', node: 'trc_node_' };

export function newToken(kind: TokenKind, random: Random): { token: string; sha256: string } {
  const token = PREFIX[kind] + Buffer.from(random(32)).toString('base64url');
  return { token, sha256: sha256Hex(token) };
}

export function newId(prefix: string, random: Random): string {
  return `${prefix}_${Buffer.from(random(8)).toString('hex')}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The live token a presented secret belongs to, or undefined. */
export function findToken(state: ControlState, presented: string): TokenState | undefined {
  if (presented.length === 0 || presented.length > 200) return undefined;
  const digest = sha256Hex(presented);
  const id = state.tokensBySha256.get(digest);
  const token = id === undefined ? undefined : state.tokens.get(id);
  if (token === undefined || token.revoked) return undefined;
  // The map lookup found the candidate; the final comparison does not leak how much of it matched.
  return timingSafeEqual(Buffer.from(token.sha256, 'hex'), Buffer.from(digest, 'hex')) ? token : undefined;
}
