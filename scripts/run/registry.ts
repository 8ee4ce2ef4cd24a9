// The local OCI registry of `make run`: Debian's docker-registry on 127.0.0.1, storage in the data dir so
// a second run finds the example image again.
import { userError } from '@trc/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Child } from './child.ts';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export async function startRegistry(dataDir: string, port: number, logFile: string): Promise<{ child: Child; host: string }> {
  const dir = path.join(dataDir, 'registry');
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    '',
  ].join('\n'));
  const child = new Child({ name: 'docker-registry', command: REGISTRY_BINARY, args: ['serve', config], logFile, env: { HOME: dir } });
  const host = `127.0.0.1:${port}`;
  await child.readyOrStop(answers(host, child, logFile));
  return { child, host };
}

async function answers(host: string, child: Child, logFile: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not accepting yet
    }
    if (performance.now() > deadline || !child.running) throw userError('TRC_RUN_START_FAILED', `docker-registry does not answer on ${host}`, `its log is ${logFile}; is the port in use? (--registry-port)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
