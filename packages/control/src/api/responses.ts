// JSON Schemas of the main read responses, for the OpenAPI document. Responses only grow (a field is added,
// never removed or retyped), so objects list what is promised and stay open to additions.
import type { Schema } from './schemas.ts';

function shape(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}

const STRING: Schema = { type: 'string' };
const INT: Schema = { type: 'integer' };
const NULLABLE_INT: Schema = { type: ['integer', 'null'] };
const TIME: Schema = { type: 'string', format: 'date-time' };
const ENV: Schema = { type: 'string', pattern: '^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$', description: 'an environment of the app, e.g. prod, staging, preview-42' };
const mapOf = (value: Schema): Schema => ({ type: 'object', additionalProperties: value });
const list = (items: Schema): Schema => ({ type: 'array', items });

const ROLLOUT = shape({ deployId: STRING, release: INT, previousRelease: NULLABLE_INT, rollback: { type: 'boolean' } });
const PENDING_RESTART = shape({ reason: STRING, bundleVersion: INT, release: INT, digest: STRING, since: TIME });

export const ENV_VIEW: Schema = shape({
  name: ENV,
  release: NULLABLE_INT,
  scale: mapOf(INT),
  secretsVersion: NULLABLE_INT,
  restarts: mapOf(PENDING_RESTART),
  rollout: { anyOf: [ROLLOUT, { type: 'null' }] },
});

export const APP_VIEW: Schema = shape({ name: STRING, org: STRING, createdAt: TIME, envs: mapOf(ENV_VIEW) });

export const RELEASE: Schema = shape(
  {
    version: INT,
    image: STRING,
    digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
    processes: mapOf(shape({ cpu: { type: 'number' }, memoryBytes: INT, count: INT })),
    manifest: { type: 'string', description: 'the platform.toml text, when the release was made from one' },
    createdAt: TIME,
  },
  ['manifest'],
);

export const INSTANCE_VIEW: Schema = shape(
  {
    id: STRING,
    app: STRING,
    env: ENV,
    processType: STRING,
    release: INT,
    digest: STRING,
    bundleVersion: INT,
    node: STRING,
    desired: { type: 'string', enum: ['running', 'stopped'] },
    actual: { type: 'string', enum: ['pending', 'starting', 'healthy', 'unhealthy', 'exited', 'stopped'] },
    detail: STRING,
    drainingSince: TIME,
  },
  ['detail', 'drainingSince'],
);

export const DEPLOY: Schema = shape({ id: STRING, release: INT, startedAt: TIME, status: { type: 'string', enum: ['rolling', 'completed', 'failed', 'rolled-back', 'superseded'] } });

export const DEPLOY_STARTED: Schema = shape({
  deployId: STRING,
  release: INT,
  env: ENV,
  instances: { type: 'integer', description: 'instances placed at once (new process types, missing instances)' },
  rolling: { type: 'integer', description: 'old instances the rollout will replace one step at a time' },
});

export const VERIFIED: Schema = shape(
  {
    ok: { type: 'boolean' },
    seq: INT,
    events: INT,
    differences: list(shape({ projection: STRING, key: { type: ['string', 'null'] }, field: STRING, kind: { type: 'string', enum: ['only-live', 'only-replayed', 'differs'] } })),
    truncated: { type: 'boolean' },
  },
  ['truncated'],
);

export const responses = {
  apps: list(APP_VIEW),
  app: APP_VIEW,
  env: ENV_VIEW,
  envs: list(ENV_VIEW),
  releases: list(RELEASE),
  release: RELEASE,
  instances: list(INSTANCE_VIEW),
  deploys: list(DEPLOY),
  deployStarted: DEPLOY_STARTED,
  verified: VERIFIED,
};
