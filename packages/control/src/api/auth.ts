// Turns the Authorization header into an Actor: `Bearer <token>`, looked up by hash in the projection.
import { userError } from '@trc/core';
import type { Actor } from '../commands/actor.ts';
import { findToken } from '../commands/tokens.ts';
import type { ControlState } from '../state/state.ts';

export function authenticate(state: ControlState, header: string | undefined): Actor {
  const m = header === undefined ? null : /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
  if (m === null) throw userError('TRC_UNAUTHENTICATED', 'this endpoint needs an API token', 'send Authorization: Bearer <token>');
  const token = findToken(state, m[1]!);
  if (token === undefined) throw userError('TRC_UNAUTHENTICATED', 'the API token is not valid (unknown or revoked)', 'ask for a new token (platform tokens create)');
  switch (token.kind) {
    case 'operator':
      return { kind: 'operator', tokenId: token.id };
    case 'join':
      return { kind: 'join', tokenId: token.id };
    case 'org':
      return { kind: 'org', org: token.org!, tokenId: token.id };
    case 'node':
      return { kind: 'node', node: token.node!, tokenId: token.id };
  }
}
