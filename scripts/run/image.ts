// Builds the example app's image in TypeScript (no Docker): the busybox-static base layer of the agent's
// image builder, plus a layer with every busybox applet linked and the files of examples/hello/.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUSYBOX, busyboxLayerTar, buildImage, pushImage, tarOf, type EntrySpec } from '../../packages/agent/src/test-support/image-builder.ts';

export const EXAMPLE_DIR = new URL('../../examples/hello/', import.meta.url).pathname;
export const EXAMPLE_REPOSITORY = 'examples/hello';

/** The base layer already links these; linking them again would only shadow the same file. */
const BASE_APPLETS = new Set(['sh', 'ls', 'cat', 'echo', 'true', 'false', 'env', 'id', 'sleep', 'busybox']);

function appLayer(exampleDir: string): Buffer {
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && !BASE_APPLETS.has(a));
  const file = (name: string, mode: number): EntrySpec => ({ type: 'file', path: `app/${name}`, content: readFileSync(path.join(exampleDir, name)), mode });
  return tarOf([
    ...applets.map((a): EntrySpec => ({ type: 'symlink', path: `bin/${a}`, linkpath: 'busybox' })),
    { type: 'dir', path: 'app/' },
    file('start.sh', 0o755),
    { type: 'dir', path: 'app/www/' },
    file('www/healthz', 0o644),
    { type: 'dir', path: 'app/www/cgi-bin/' },
    file('www/cgi-bin/index.cgi', 0o755),
  ]);
}

/** Builds the image and pushes it to the registry at `host` as `examples/hello:latest`; returns `host/repo@digest`. */
export async function buildAndPushExample(host: string, exampleDir = EXAMPLE_DIR): Promise<string> {
  const image = buildImage({
    layers: [{ tar: await busyboxLayerTar() }, { tar: appLayer(exampleDir) }],
    config: { Cmd: ['/bin/sh', '/app/start.sh'], Env: ['PATH=/bin:/usr/bin'], WorkingDir: '/app' },
  });
  const digest = await pushImage({ host, authorization: () => undefined }, EXAMPLE_REPOSITORY, 'latest', image);
  return `${host}/${EXAMPLE_REPOSITORY}@${digest}`;
}
