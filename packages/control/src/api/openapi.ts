// The OpenAPI 3.1 document, generated from the route table so it cannot drift from what the server serves.
import type { RouteDef } from './route.ts';
import { ERROR_BODY, object, type Schema } from './schemas.ts';

export function openApiDocument(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = `/v1${r.url.replace(/:([a-z]+)/g, '{$1}')}`;
    const parameters = [
      ...Object.entries(r.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...Object.entries(r.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
    ];
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      'x-trc-tokens': r.tokens,
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(r.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: r.body, ...(r.example === undefined ? {} : { example: r.example }) } } } }),
      security: [{ bearer: [] }],
      responses: {
        '2XX': { description: 'success', ...(r.response === undefined ? {} : { content: { 'application/json': { schema: r.response } } }) },
        default: { description: 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  paths['/v1/openapi.json'] = { get: { summary: 'This document.', security: [], responses: { 200: { description: 'the OpenAPI document' } } } };
  return {
    openapi: '3.1.0',
    info: { title: 'TRC control plane API', version },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: ERROR_BODY as Schema } },
    paths,
  };
}

/** The params/query schema fastify validates, as one object schema. */
export function paramsSchema(fields: Readonly<Record<string, Schema>> | undefined, required: boolean): Schema | undefined {
  if (fields === undefined) return undefined;
  return object(fields, required ? Object.keys(fields) : []);
}
