// The shape of one API route: the table in routes.ts is the single source for the server, the OpenAPI
// document and the cross-org test that walks every route.
import type { Actor } from '../commands/actor.ts';
import type { Control } from '../commands/control.ts';
import type { Schema } from './schemas.ts';

export interface RouteContext {
  readonly control: Control;
  readonly actor: Actor;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  readonly now: Date;
  /** Last heartbeat per node (ms since epoch): liveness is memory, not log. */
  readonly heartbeats: Map<string, number>;
}

export interface RouteResult {
  readonly status?: number;
  readonly body?: unknown;
  /** A body that is not JSON (e.g. the TRC_SECRETS_V1 rendering). */
  readonly text?: { readonly contentType: string; readonly content: string };
}

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path under /v1, with `:param` segments. */
  readonly url: string;
  readonly summary: string;
  /** Which token kinds may call it at all; finer checks (which org) are the command's. */
  readonly tokens: readonly Actor['kind'][];
  readonly params?: Readonly<Record<string, Schema>>;
  readonly query?: Readonly<Record<string, Schema>>;
  readonly body?: Schema;
  /** A valid body, with `{org}`, `{app}` ... placeholders: documents the route and drives the route-walking tests. */
  readonly example?: unknown;
  /** The success body's schema, for the OpenAPI document (responses.ts). */
  readonly response?: Schema;
  readonly handler: (ctx: RouteContext) => Promise<RouteResult>;
}
