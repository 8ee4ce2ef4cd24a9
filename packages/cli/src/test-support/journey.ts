// The control plane's "Done when", driven only through bin/platform: the operator logs in, creates an org and
// its token; the org logs in, creates an app, sets secrets, deploys, changes a secret and watches the rolling
// restart with `platform events --follow`. Run on SQLite and on PostgreSQL by e2e/*.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecretsFile } from '@trc/core/secrets-file/index';
import { startControl } from '../../../control/src/test-support/program.ts';
import { cliShell, operatorTokenOf } from './cli-env.ts';
import { startNodeStandIn, type NodeStandIn } from './node-stand-in.ts';

export const DIGEST = `sha256:${'c'.repeat(64)}`;
// Pinned by digest, so the control plane takes it without asking a registry.
export const IMAGE = `127.0.0.1:5000/shop@${DIGEST}`;
const MANIFEST = 'app = "shop"\n[processes.web]\ncmd = ["web"]\ncpu = 0.5\nmemory = "128Mi"\ncount = 2\nport = 8080\n';
const OLD_VALUE = 'old-api-key-2f9c1e';
const NEW_VALUE = 'new-api-key-7d41b0';
const DB_VALUE = 'db-pass-word=with=equals';

interface Event { seq: number; type: string; payload: { instanceId?: string; state?: string; digest?: string; bundleVersion?: number } }

export async function userJourney(controlArgs: readonly string[]): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trc-cli-e2e-'));
  const control = await startControl(dataDir, controlArgs);
  const shell = cliShell();
  let node: NodeStandIn | undefined;
  let passed = false;
  try {
    const operatorToken = await operatorTokenOf(control.stdout);
    const ok = async (args: readonly string[], stdin?: string): Promise<string> => {
      const r = await shell.platform(args, stdin === undefined ? {} : { stdin });
      assert.equal(r.code, 0, `platform ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    // The operator.
    assert.match(await ok(['login', '--url', control.base, '--token', operatorToken]), /^Logged in to http:\/\/127\.0\.0\.1:\d+ as the operator \(saved in .*\/trc\/config\.json\)\n$/);
    assert.equal(statSync(join(shell.configDir, 'trc', 'config.json')).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await ok(['whoami', '--json'])), { url: control.base, kind: 'operator', org: null });
    await ok(['orgs', 'create', 'acme']);
    const join_ = JSON.parse(await ok(['nodes', 'join-token', 'rack-1', '--json'])) as { token: string };
    node = await startNodeStandIn(control.base, join_.token);
    const orgToken = (JSON.parse(await ok(['tokens', 'create', '--org', 'acme', 'ci', '--json'])) as { token: string; kind: string }).token;

    // The org.
    assert.match(await ok(['login', '--url', control.base, '--token', orgToken]), / as org acme /);
    assert.deepEqual(JSON.parse(await ok(['whoami', '--json'])), { url: control.base, kind: 'org', org: 'acme' });
    assert.match(await ok(['apps', 'create', 'shop']), /^Created app shop in org acme, with environments prod and staging\n$/);
    await ok(['secrets', 'set', '--app', 'shop', '--env', 'prod', `API_KEY=${OLD_VALUE}`, `DB_PASSWORD=${DB_VALUE}`]);
    const manifest = join(shell.home, 'platform.toml');
    writeFileSync(manifest, MANIFEST);
    const deployed = JSON.parse(await ok(['deploy', '--app', 'shop', '--env', 'prod', '--image', IMAGE, '--manifest', manifest, '--timeout', '60', '--json'])) as { release: number; digest: string; status: string; placements: { id: string; node: string }[] };
    assert.equal(deployed.status, 'healthy');
    assert.equal(deployed.release, 1);
    assert.equal(deployed.digest, DIGEST);
    assert.deepEqual(deployed.placements.map((p) => p.node), [node.name, node.name]);

    // A secret change: a rolling restart, watched live.
    const before = JSON.parse(await ok(['events', '--app', 'shop', '--json', '--limit', '1000'])) as Event[];
    const watching = shell.platform(['events', '--follow', '--app', 'shop', '--after', String(before.at(-1)!.seq), '--type', 'RestartRequired,InstanceDrainStarted,InstanceStopRequested,InstancePlaced,InstanceStateReported,RestartCompleted', '--until', 'RestartCompleted', '--timeout', '60', '--json'], { timeoutMs: 90_000 });
    assert.match(await ok(['secrets', 'set', '--app', 'shop', '--env', 'prod', `API_KEY=${NEW_VALUE}`]), /^Set API_KEY in shop\/prod: secrets version 2 \(2 secret\(s\)\)/);
    const watched = await watching;
    assert.equal(watched.code, 0, watched.stderr);
    const events = watched.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Event);
    assert.equal(events[0]!.type, 'RestartRequired');
    assert.equal(events.at(-1)!.type, 'RestartCompleted');
    assert.equal(events.at(-1)!.payload.digest, DIGEST);
    // Surge first, one at a time: an old instance is retired (drained for the edges, then stopped) only once a
    // replacement is healthy, so capacity never drops below the two instances asked for.
    const placed = new Set<string>();
    const retired = new Set<string>();
    let healthyNew = 0;
    for (const e of events) {
      if (e.type === 'InstancePlaced') {
        placed.add(e.payload.instanceId!);
        assert.equal(e.payload.digest, DIGEST, 'a restart never changes the image');
        assert.equal(e.payload.bundleVersion, 2);
      }
      if (e.type === 'InstanceStateReported' && e.payload.state === 'healthy' && placed.has(e.payload.instanceId!)) healthyNew++;
      if ((e.type === 'InstanceDrainStarted' || e.type === 'InstanceStopRequested') && !placed.has(e.payload.instanceId!)) retired.add(e.payload.instanceId!);
      assert.ok(retired.size <= healthyNew, `an old instance retired before its replacement was healthy: ${events.map((x) => x.type).join(' ')}`);
    }
    assert.equal(retired.size, 2, 'both old instances are retired');
    const instances = JSON.parse(await ok(['instances', 'list', '--app', 'shop', '--env', 'prod', '--json'])) as { desired: string; actual: string; digest: string; bundleVersion: number; drainingSince?: string }[];
    // The last old instance may still be draining (the edges already dropped it) when the restart completes.
    const running = instances.filter((i) => i.desired === 'running' && i.drainingSince === undefined);
    assert.equal(running.length, 2);
    for (const i of running) assert.deepEqual([i.actual, i.digest, i.bundleVersion], ['healthy', DIGEST, 2]);

    // The bundle, exactly as instances get it; the only command that prints values.
    const rendered = await ok(['secrets', 'render', '--app', 'shop', '--env', 'prod']);
    const parsed = parseSecretsFile(new TextEncoder().encode(rendered), 'render');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.map((e) => [e.key, new TextDecoder().decode(e.value)]), [['API_KEY', NEW_VALUE], ['DB_PASSWORD', DB_VALUE]]);
    assert.deepEqual(JSON.parse(await ok(['secrets', 'list', '--app', 'shop', '--json'])), { version: 2, names: ['API_KEY', 'DB_PASSWORD'] });

    // The operator checks the log.
    assert.match(await ok(['admin', 'verify', '--token', operatorToken]), /^OK: /);
    for (const { args, run } of shell.runs) {
      if (args[0] === 'secrets' && args[1] === 'render') continue;
      for (const value of [OLD_VALUE, NEW_VALUE, DB_VALUE]) {
        const printed = `${run.stdout}${run.stderr}`;
        assert.ok(!printed.includes(value), `platform ${args.join(' ')} printed a secret value`);
      }
    }
    passed = true;
  } finally {
    // The stand-in stops before the control plane, so its last pass meets a live server: a failed pass is a
    // real failure, reported unless the journey's own failure is already on its way.
    const stopped = await node?.stop().then(() => undefined, (error: unknown) => error);
    await control.stop();
    shell.remove();
    rmSync(dataDir, { recursive: true, force: true });
    if (passed && stopped !== undefined) throw stopped;
  }
}
