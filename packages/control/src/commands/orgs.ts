// Commands on the platform, orgs, API tokens, quotas and cluster settings.
import { clusterSettingsOrThrow, userError, type QuotaLimits } from '@trc/core';
import { aggregates, type ClusterSettings, type TokenState } from '../state/state.ts';
import { forbidden, notFound, requireOperator, requireOrg, type Actor } from './actor.ts';
import type { Control } from './control.ts';
import { nameProblem } from './names.ts';
import { newId, newToken } from './tokens.ts';
import { invalid } from './validate.ts';

export interface TokenView {
  readonly id: string;
  readonly kind: TokenState['kind'];
  readonly name: string;
  readonly org?: string;
  readonly node?: string;
  readonly createdAt: string;
}

export function tokenView(t: TokenState): TokenView {
  return { id: t.id, kind: t.kind, name: t.name, ...(t.org === undefined ? {} : { org: t.org }), ...(t.node === undefined ? {} : { node: t.node }), createdAt: t.createdAt };
}

/** At first start, creates the operator token. Returns it (to print once), or undefined if one exists. */
export async function bootstrap(control: Control): Promise<string | undefined> {
  const state = await control.read();
  if ([...state.tokens.values()].some((t) => t.kind === 'operator')) return undefined;
  const { token, sha256 } = newToken('operator', control.deps.random);
  const tokenId = newId('tok', control.deps.random);
  await control.commit({ kind: 'system' }, [
    { aggregateId: aggregates.platform, expectedVersion: control.version(aggregates.platform), changes: [{ type: 'ApiTokenCreated', payload: { tokenId, kind: 'operator', name: 'operator', sha256 } }] },
  ]);
  return token;
}

export async function createOrg(control: Control, actor: Actor, input: { name: string }): Promise<{ name: string }> {
  requireOperator(actor, 'create orgs');
  const problems = nameProblem(input.name, 'name', 'org name');
  if (problems.length > 0) throw invalid(problems);
  const state = await control.read();
  if (state.orgs.has(input.name)) throw userError('TRC_ALREADY_EXISTS', `org "${input.name}" exists already`, 'pick another name');
  const aggregateId = aggregates.org(input.name);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'OrgCreated', payload: { org: input.name } }] }]);
  return { name: input.name };
}

export async function listOrgs(control: Control, actor: Actor): Promise<{ name: string; createdAt: string }[]> {
  if (actor.kind === 'join' || actor.kind === 'node') throw forbidden('list orgs');
  const state = await control.read();
  return [...state.orgs.values()].filter((o) => actor.kind !== 'org' || o.name === actor.org).map((o) => ({ name: o.name, createdAt: o.createdAt }));
}

export async function getOrg(control: Control, actor: Actor, org: string): Promise<{ name: string; createdAt: string; quotas: QuotaLimits }> {
  const state = await control.read();
  requireOrg(state, actor, org);
  const o = state.orgs.get(org)!;
  return { name: o.name, createdAt: o.createdAt, quotas: o.quotas };
}

/** An org-scoped token: by the operator, or by a holder of another token of the same org. */
export async function createOrgToken(control: Control, actor: Actor, org: string, input: { name: string }): Promise<TokenView & { token: string }> {
  const state = await control.read();
  requireOrg(state, actor, org);
  const { token, sha256 } = newToken('org', control.deps.random);
  const tokenId = newId('tok', control.deps.random);
  const aggregateId = aggregates.org(org);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'ApiTokenCreated', payload: { tokenId, kind: 'org', name: input.name, sha256, org } }] }]);
  return { ...tokenView((await control.read()).tokens.get(tokenId)!), token };
}

export async function createJoinToken(control: Control, actor: Actor, input: { name: string }): Promise<TokenView & { token: string }> {
  requireOperator(actor, 'create node join tokens');
  await control.read();
  const { token, sha256 } = newToken('join', control.deps.random);
  const tokenId = newId('tok', control.deps.random);
  await control.commit(actor, [{ aggregateId: aggregates.platform, expectedVersion: control.version(aggregates.platform), changes: [{ type: 'ApiTokenCreated', payload: { tokenId, kind: 'join', name: input.name, sha256 } }] }]);
  return { ...tokenView((await control.read()).tokens.get(tokenId)!), token };
}

export async function listOrgTokens(control: Control, actor: Actor, org: string): Promise<TokenView[]> {
  const state = await control.read();
  requireOrg(state, actor, org);
  return [...state.tokens.values()].filter((t) => t.org === org && !t.revoked).map(tokenView);
}

export async function revokeOrgToken(control: Control, actor: Actor, org: string, tokenId: string): Promise<void> {
  const state = await control.read();
  requireOrg(state, actor, org);
  const token = state.tokens.get(tokenId);
  if (token === undefined || token.org !== org || token.revoked) throw notFound(`token "${tokenId}"`);
  const aggregateId = aggregates.org(org);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'ApiTokenRevoked', payload: { tokenId, org } }] }]);
}

export async function setQuotas(control: Control, actor: Actor, org: string, limits: QuotaLimits): Promise<QuotaLimits> {
  requireOperator(actor, 'set quotas');
  const state = await control.read();
  requireOrg(state, actor, org);
  const aggregateId = aggregates.org(org);
  await control.commit(actor, [{ aggregateId, expectedVersion: control.version(aggregateId), changes: [{ type: 'QuotasChanged', payload: { org, limits } }] }]);
  return limits;
}

/** The operator's cpu_overcommit and memory safety buffer (ADR 0012), validated by core's rules. */
export async function setClusterSettings(control: Control, actor: Actor, input: { cpuOvercommit: number; memorySafetyBuffer: string }): Promise<ClusterSettings> {
  requireOperator(actor, 'change cluster settings');
  const parsed = clusterSettingsOrThrow({ cpu_overcommit: input.cpuOvercommit, memory_safety_buffer: input.memorySafetyBuffer });
  await control.read();
  const settings = { cpuOvercommit: parsed.cpuOvercommit, memorySafetyBufferBytes: parsed.memorySafetyBuffer };
  await control.commit(actor, [{ aggregateId: aggregates.platform, expectedVersion: control.version(aggregates.platform), changes: [{ type: 'ClusterSettingsChanged', payload: settings }] }]);
  return settings;
}

export async function listJoinTokens(control: Control, actor: Actor): Promise<TokenView[]> {
  requireOperator(actor, 'list node join tokens');
  return [...(await control.read()).tokens.values()].filter((t) => t.kind === 'join' && !t.revoked).map(tokenView);
}

export async function revokeJoinToken(control: Control, actor: Actor, tokenId: string): Promise<void> {
  requireOperator(actor, 'revoke node join tokens');
  const token = (await control.read()).tokens.get(tokenId);
  if (token === undefined || token.kind !== 'join' || token.revoked) throw notFound(`join token "${tokenId}"`);
  await control.commit(actor, [{ aggregateId: aggregates.platform, expectedVersion: control.version(aggregates.platform), changes: [{ type: 'ApiTokenRevoked', payload: { tokenId } }] }]);
}
