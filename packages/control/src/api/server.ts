// The HTTP JSON API under /v1 (fastify): schema-validated bodies with unknown fields rejected, a body
// size limit, token auth, and every error answered as { code, message, hint }.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { formatError, userError } from '@trc/core';
import type { Control } from '../commands/control.ts';
import { forbidden } from '../commands/actor.ts';
import { authenticate } from './auth.ts';
import { toTrcError } from './errors.ts';
import { openApiDocument, paramsSchema } from './openapi.ts';
import { ROUTES } from './routes.ts';
import type { RouteDef } from './route.ts';
import { followEvents } from './follow.ts';

export interface ApiOptions {
  readonly control: Control;
  readonly clock: () => Date;
  /** Largest request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Where bugs are logged with their stack (default console.error). */
  readonly logBug?: (text: string) => void;
  readonly version?: string;
  /** Last heartbeat per node, shared with the liveness monitor (see markSilentNodesDown). */
  readonly heartbeats?: Map<string, number>;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const logBug = options.logBug ?? ((text: string) => console.error(text));
  const heartbeats = options.heartbeats ?? new Map<string, number>();
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: true,
    // Errors the router raises before any route runs (bad URL encoding, over-long parameters).
    frameworkErrors: (error, _request, reply) => {
      const body = JSON.stringify(userError('TRC_INVALID_INPUT', `the request path is malformed (${error.code})`, 'check the URL').toJSON());
      void (reply as FastifyReply).code(400).type('application/json').send(body);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
  });

  app.setErrorHandler((error, _request, reply) => {
    const trc = toTrcError(error);
    if (trc.kind === 'bug') logBug(`${formatError(trc)}\n${(trc.cause as Error | undefined)?.stack ?? trc.stack}`);
    void reply.status(trc.status).type('application/json').send(trc.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: 'TRC_ROUTE_NOT_FOUND', message: `no endpoint ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`, hint: 'see /v1/openapi.json' });
  });

  const document = openApiDocument(ROUTES, options.version ?? '0.1.0');
  app.get('/v1/openapi.json', async () => document);

  for (const route of ROUTES) register(app, route, options.control, options.clock, heartbeats);
  await app.ready();
  return app;
}

function register(app: FastifyInstance, route: RouteDef, control: Control, clock: () => Date, heartbeats: Map<string, number>): void {
  const schema = {
    ...(route.body === undefined ? {} : { body: route.body }),
    ...(route.params === undefined ? {} : { params: paramsSchema(route.params, true) }),
    // Routes without query parameters still refuse unknown ones.
    querystring: paramsSchema(route.query ?? {}, false),
  };
  app.route({
    method: route.method,
    url: `/v1${route.url}`,
    schema,
    // Authenticate before the body is validated, so an anonymous caller learns nothing about the schema.
    preValidation: async (request: FastifyRequest) => {
      const actor = authenticate(await control.read(), request.headers.authorization);
      if (!route.tokens.includes(actor.kind)) throw forbidden(`call ${route.method} /v1${route.url} (it takes ${route.tokens.join(' or ')} tokens)`);
      (request as FastifyRequest & { actor?: typeof actor }).actor = actor;
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const actor = (request as FastifyRequest & { actor?: ReturnType<typeof authenticate> }).actor!;
      const query = request.query as Record<string, string | undefined>;
      if (route.url === '/events' && query.follow === '1') return followEvents(control, actor, query, request, reply);
      if (route.method !== 'GET' && route.body === undefined && request.body !== undefined && request.body !== null) {
        throw toTrcError({ validation: [{ instancePath: '', keyword: 'type', message: 'this endpoint takes no body' }] });
      }
      const result = await route.handler({ control, actor, params: request.params as Record<string, string>, query, body: request.body, now: clock(), heartbeats });
      if (result.text !== undefined) return reply.status(result.status ?? 200).type(result.text.contentType).send(result.text.content);
      if (result.body === undefined) return reply.status(result.status ?? 204).send();
      return reply.status(result.status ?? 200).type('application/json').send(JSON.stringify(result.body));
    },
  });
}
