// JSON Schemas for the API's inputs. Every object rejects unknown fields; strings and arrays are bounded.

export type Schema = Readonly<Record<string, unknown>>;

export function object(properties: Record<string, Schema>, required: readonly string[] = Object.keys(properties)): Schema {
  return { type: 'object', additionalProperties: false, properties, required };
}

export const NAME: Schema = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$' };
/** Any environment name; whether the app has it is the command's business (TRC_NOT_FOUND). */
export const ENV: Schema = { ...NAME, description: 'an environment of the app, e.g. prod, staging, preview-42' };
export const LABEL: Schema = { type: 'string', minLength: 1, maxLength: 100 };
export const QUANTITY: Schema = { type: 'string', minLength: 1, maxLength: 32, description: 'binary memory quantity such as "512Mi" or "2Gi"' };
export const COUNT: Schema = { type: 'integer', minimum: 0, maximum: 1000 };
export const SEQ_TEXT: Schema = { type: 'string', pattern: '^[0-9]{1,15}$' };
export const TOKEN_ID: Schema = { type: 'string', pattern: '^tok_[0-9a-f]{16}$' };
export const IPV4: Schema = { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' };
export const INSTANCE_ID: Schema = { type: 'string', pattern: '^ins_[0-9a-f]{16}$' };
const BYTES: Schema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const NULLABLE_COUNT: Schema = { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000 };

export const bodies = {
  createOrg: object({ name: NAME }),
  createToken: object({ name: LABEL }),
  quotas: object({ memory: { type: ['string', 'null'], maxLength: 32 }, instances: NULLABLE_COUNT, publicRoutes: NULLABLE_COUNT, ipv4Addresses: NULLABLE_COUNT }),
  settings: object({ cpuOvercommit: { type: 'number' }, memorySafetyBuffer: QUANTITY }),
  createApp: object({ org: NAME, name: NAME }),
  createEnv: object({ name: NAME }),
  createRelease: object({
    image: { type: 'string', minLength: 1, maxLength: 512 },
    manifest: { type: 'string', minLength: 1, maxLength: 256 * 1024, description: 'the platform.toml text' },
    processes: {
      type: 'object',
      minProperties: 1,
      maxProperties: 50,
      propertyNames: { maxLength: 63 },
      additionalProperties: object({ cpu: { type: 'number', exclusiveMinimum: 0, maximum: 1024 }, memory: QUANTITY, count: COUNT }),
    },
  }, ['image']),
  deploy: object({ release: { type: 'integer', minimum: 1 } }),
  scale: object({ count: COUNT }),
  setSecrets: object({
    values: { type: 'object', minProperties: 1, maxProperties: 500, propertyNames: { minLength: 1, maxLength: 128 }, additionalProperties: { type: 'string', maxLength: 65536 } },
  }),
  unsetSecrets: object({ keys: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', minLength: 1, maxLength: 128 } } }),
  registerNode: object({ name: NAME, cores: { type: 'integer', minimum: 1, maximum: 100_000 }, memoryBytes: BYTES, reservedMemoryBytes: BYTES }),
  backendHealth: object({ route: { type: 'string', maxLength: 200 }, address: { type: 'string', maxLength: 60 }, healthy: { type: 'boolean' }, reason: { type: 'string', maxLength: 500 }, proxyMismatch: { type: 'boolean' } }),
  instanceState: object({ state: { type: 'string', enum: ['starting', 'healthy', 'unhealthy', 'exited', 'stopped'] }, detail: { type: 'string', maxLength: 500 }, address: { type: 'string', maxLength: 60 } }, ['state']),
  route: object({
    process: NAME,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    proxy_protocol: { type: 'string', maxLength: 20 },
    backend_expects_proxy_protocol: { type: 'boolean' },
    address: IPV4,
  }, ['process', 'port']),
  ipv4Pool: object({ addresses: { type: 'array', maxItems: 65536, items: { type: 'string', maxLength: 15 } } }),
  volume: object({ name: NAME, processType: NAME, size: QUANTITY, backupEnabled: { type: 'boolean' } }, ['name', 'processType', 'size']),
  backupPolicy: object({
    enabled: { type: 'boolean' },
    intervalHours: { type: 'integer', minimum: 1, maximum: 24 * 31 },
    retention: { type: 'integer', minimum: 1, maximum: 1000 },
    disabledEnvs: { type: 'array', maxItems: 10_000, items: { type: 'string', maxLength: 80 } },
  }),
  heartbeat: object({ cores: { type: 'integer', minimum: 1, maximum: 100_000 }, memoryBytes: BYTES, reservedMemoryBytes: BYTES }),
} as const;

export const ERROR_BODY: Schema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    hint: { type: 'string' },
    problems: { type: 'array', items: object({ path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } }, ['path', 'code', 'message']) },
  },
};
