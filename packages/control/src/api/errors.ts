// Maps every failure to `{ code, message, hint }`: validation and fastify's own errors become user errors
// with a stable code; anything else is a bug, logged with its stack and answered as TRC_INTERNAL.
import { TrcError, userError, type Problem } from '@trc/core';

interface AjvError {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

const FASTIFY_CODES: Readonly<Record<string, () => TrcError>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => userError('TRC_PAYLOAD_TOO_LARGE', 'the request body is too large', 'send a smaller body'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => userError('TRC_UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON', 'send Content-Type: application/json'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => userError('TRC_INVALID_INPUT', 'the request body is empty', 'send a JSON object, or no Content-Type header'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => userError('TRC_INVALID_INPUT', 'the request body is not valid JSON', 'check the JSON syntax'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => userError('TRC_INVALID_INPUT', 'the Content-Length header does not match the body', 'send a correct Content-Length'),
};

function dotted(pointer: string): string {
  return pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

/** One problem per schema violation, each with the path of the field (unknown fields named). */
export function schemaProblems(errors: readonly AjvError[], where: string): Problem[] {
  const problems: Problem[] = [];
  for (const e of errors) {
    const path = dotted(e.instancePath ?? '');
    if (e.keyword === 'additionalProperties') {
      problems.push({ path: join(path, String(e.params?.additionalProperty)), code: 'TRC_INVALID_INPUT', message: 'unknown field', hint: 'remove it; see /v1/openapi.json for the fields this endpoint takes' });
    } else if (e.keyword === 'required') {
      problems.push({ path: join(path, String(e.params?.missingProperty)), code: 'TRC_INVALID_INPUT', message: 'is required' });
    } else if (e.keyword === 'propertyNames') {
      continue; // reported again, with the offending name, as a `pattern`/`maxLength` error
    } else {
      problems.push({ path: where === 'body' ? path : join(where, path), code: 'TRC_INVALID_INPUT', message: e.message ?? 'is invalid' });
    }
  }
  return problems;
}

/** The error to answer with, and whether it is a bug to log. */
export function toTrcError(error: unknown): TrcError {
  if (error instanceof TrcError) return error;
  const e = error as { code?: string; statusCode?: number; validation?: AjvError[]; validationContext?: string; message?: string };
  if (Array.isArray(e.validation)) {
    const problems = schemaProblems(e.validation, e.validationContext ?? 'body');
    const first = problems[0];
    const message = problems.length === 1 && first !== undefined ? `${first.path === '' ? e.validationContext ?? 'body' : first.path}: ${first.message}` : `${problems.length} problems in the ${e.validationContext ?? 'request'}`;
    return userError('TRC_INVALID_INPUT', message, problems.length === 1 ? first?.hint : 'each problem is listed with its path', { problems });
  }
  const mapped = e.code === undefined ? undefined : FASTIFY_CODES[e.code];
  if (mapped !== undefined) return mapped();
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return userError('TRC_INVALID_INPUT', `the request is malformed (${e.code ?? e.statusCode})`, 'check the method, headers and body');
  }
  return new TrcError('TRC_INTERNAL', 'an unexpected failure inside the control plane', { cause: error });
}
