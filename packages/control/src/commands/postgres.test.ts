// The command layer on PostgreSQL: the same deploy conflict, secrets and replay as on SQLite, and a second
// control plane on the same log sees the first one's changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePostgres } from '../test-support/postgres.ts';
import { PostgresEventStore } from '../store/postgres/postgres.ts';
import { Control } from './control.ts';
import { AesGcmSealer } from '../secrets/sealer.ts';
import { DIGEST, IMAGE, operator, orgActor, seededRandom, steppingClock } from '../test-support/control.ts';
import { createOrg } from './orgs.ts';
import { createApp, createRelease, deploy } from './apps.ts';
import { registerNode } from './nodes.ts';
import { readSecretValues, setSecrets } from './secrets.ts';

const pg = usePostgres();

test('on PostgreSQL two concurrent deploys of one app cannot both win, and a second control plane sees the same state', async () => {
  const url = await pg.database('control');
  const masterKey = seededRandom('pg-master')(32);
  const open = async (seed: string) => {
    const random = seededRandom(seed);
    const store = await PostgresEventStore.open({ url, clock: steppingClock() });
    return { store, control: new Control({ store, random, sealer: new AesGcmSealer(masterKey, random) }) };
  };
  const a = await open('pg-a');
  const b = await open('pg-b');
  try {
    const acme = orgActor('acme');
    await createOrg(a.control, operator, { name: 'acme' });
    await registerNode(a.control, operator, { name: 'n1', cores: 8, memoryBytes: 16 * 2 ** 30, reservedMemoryBytes: 2 ** 30 });
    await createApp(a.control, acme, { org: 'acme', name: 'shop' });
    await createRelease(a.control, acme, 'shop', { image: IMAGE, processes: { web: { cpu: 1, memory: '256Mi', count: 1 } } });
    // Each control plane deploys; both read the same app version, so one append must lose.
    await b.control.read();
    const results = await Promise.allSettled([deploy(a.control, acme, 'shop', 'prod', { release: 1 }), deploy(b.control, acme, 'shop', 'prod', { release: 1 })]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as { code: string }).code, 'TRC_CONFLICT');
    await setSecrets(a.control, acme, 'shop', 'prod', { values: { TOKEN: 'pg-secret' } });
    assert.deepEqual(await readSecretValues(b.control, acme, 'shop', 'prod'), { version: 1, values: { TOKEN: 'pg-secret' } });
    const restarts = (await b.control.read()).apps.get('shop')!.envs.prod!.restarts;
    assert.equal(restarts.web?.digest, DIGEST);
    assert.ok(!JSON.stringify(await a.store.read()).includes('pg-secret'));
    assert.equal((await a.control.verify()).ok, true);
    assert.equal((await b.control.verify()).ok, true);
  } finally {
    await a.store.close();
    await b.store.close();
  }
});
