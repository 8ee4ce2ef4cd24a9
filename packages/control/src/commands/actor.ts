// Who is acting, and what each kind of actor may touch. Cross-org access answers "not found", so one org
// cannot even learn that another org's app exists.
import { userError, type TrcError } from '@trc/core';
import type { AppState, ControlState } from '../state/state.ts';

export type Actor =
  | { readonly kind: 'operator'; readonly tokenId: string }
  | { readonly kind: 'org'; readonly org: string; readonly tokenId: string }
  | { readonly kind: 'join'; readonly tokenId: string }
  | { readonly kind: 'node'; readonly node: string; readonly tokenId: string }
  | { readonly kind: 'system' };

/** How the actor is written into each event it causes. */
export function actorLabel(actor: Actor): string {
  return actor.kind === 'system' ? 'system' : `${actor.kind}:${actor.tokenId}`;
}

export function forbidden(what: string): TrcError {
  return userError('TRC_FORBIDDEN', `this token may not ${what}`, 'use a token of the right kind: operator, org, node join or node');
}

export function notFound(what: string): TrcError {
  return userError('TRC_NOT_FOUND', `${what} does not exist`, 'check the name with the matching list command');
}

export function requireOperator(actor: Actor, what: string): void {
  if (actor.kind !== 'operator' && actor.kind !== 'system') throw forbidden(what);
}

/** The org, if the actor may act in it: the operator everywhere, an org token in its own org only. */
export function requireOrg(state: ControlState, actor: Actor, org: string): void {
  if (actor.kind === 'join' || actor.kind === 'node') throw forbidden(`act in org "${org}"`);
  if ((actor.kind === 'org' && actor.org !== org) || !state.orgs.has(org)) throw notFound(`org "${org}"`);
}

export function requireApp(state: ControlState, actor: Actor, name: string): AppState {
  if (actor.kind === 'join' || actor.kind === 'node') throw forbidden(`act on app "${name}"`);
  const app = state.apps.get(name);
  if (app === undefined || (actor.kind === 'org' && actor.org !== app.org)) throw notFound(`app "${name}"`);
  return app;
}

/** The orgs whose resources the actor may see; `undefined` means all of them. */
export function visibleOrg(actor: Actor): string | undefined | null {
  if (actor.kind === 'operator' || actor.kind === 'system') return undefined;
  if (actor.kind === 'org') return actor.org;
  return null;
}
