// Fixture of harness-sweep.test.ts: a harness with one running instance in a process its test kills without
// close(). Prints "READY <work dir>" once the instance runs; ends by itself after 60 s if nobody kills it.
import { startHarness } from './agent-harness.ts';

const h = await startHarness('sweep-child');
const op = h.operator;
await h.api('POST', '/v1/orgs', op, { name: 'acme' });
const token = (await h.api('POST', '/v1/orgs/acme/tokens', op, { name: 't' })).body.token as string;
const join = (await h.api('POST', '/v1/join-tokens', op, { name: 'rack' })).body.token as string;
const agent = await h.startAgent('node-1', { joinToken: join });
await h.api('POST', '/v1/apps', token, { org: 'acme', name: 'web' });
const manifest = 'app = "web"\n[processes.web]\ncmd = ["/bin/sh", "-c", "exec sleep 600"]\ncpu = 0.25\nmemory = "32Mi"\n';
await h.api('POST', '/v1/apps/web/releases', token, { image: h.image, manifest });
await h.api('POST', '/v1/apps/web/envs/prod/deploys', token, { release: 1 });
await h.until('a running instance', async () => ((await agent.driver.list()).some((i) => i.state === 'running') ? true : undefined), 60_000);
process.stdout.write(`READY ${h.work}\n`);
setTimeout(() => {
  void h.close([agent]).finally(() => process.exit(0));
}, 60_000);
