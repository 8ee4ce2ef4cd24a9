// The PostgreSQL log's table and the advisory-lock key that serialises its writers.

export function schemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS "${schema}".events (
  seq bigint PRIMARY KEY,
  type text NOT NULL,
  aggregate_id text NOT NULL,
  aggregate_version integer NOT NULL,
  actor text NOT NULL,
  time timestamptz NOT NULL,
  payload text NOT NULL,
  UNIQUE (aggregate_id, aggregate_version)
)`;
}

/** Two int4 keys for pg_advisory_xact_lock: a fixed TRC class and a hash of the schema, one lock per log. */
export function lockKeys(schema: string): [number, number] {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(schema)) h = Math.imul(h ^ byte, 0x01000193);
  return [0x54524300, h | 0];
}
