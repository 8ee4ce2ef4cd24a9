// Runs the Debian nginx binary (nginx-light) in the foreground, as root, under a private temp prefix.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type Endpoint, type RunningProcess } from './process.ts';
import { tempDir } from './temp-dir.ts';
import { withCleanup } from './haproxy.ts';

export const NGINX_BIN = '/usr/sbin/nginx';

export interface NginxOptions {
  /** nginx.conf text; `{{RUN_DIR}}` is replaced by the temp prefix. It must not set daemon, user or pid. */
  readonly config: string;
  readonly ready: readonly Endpoint[];
}

export async function startNginx(options: NginxOptions): Promise<RunningProcess> {
  const dir = tempDir('nginx');
  const cfg = join(dir.path, 'nginx.conf');
  writeFileSync(cfg, options.config.replaceAll('{{RUN_DIR}}', dir.path));
  // The main-context directives a test needs come from -g so the example configs stay as users run them
  // (the official image runs `nginx -g 'daemon off;'` too). Root workers: the temp prefix is root-only.
  const globals = `daemon off; master_process on; user root; pid ${join(dir.path, 'nginx.pid')};`;
  const args = ['-p', `${dir.path}/`, '-c', cfg, '-e', join(dir.path, 'error.log'), '-g', globals];
  try {
    const running = await startProcess({ name: 'nginx', command: NGINX_BIN, args, ready: options.ready });
    return withCleanup(running, () => dir[Symbol.dispose]());
  } catch (e) {
    dir[Symbol.dispose]();
    throw e;
  }
}

/** The http-context lines every test config shares: temp paths and logs inside the prefix. */
export function nginxHttpPreamble(): string {
  return [
    'client_body_temp_path {{RUN_DIR}}/client_body;',
    'proxy_temp_path {{RUN_DIR}}/proxy;',
    'fastcgi_temp_path {{RUN_DIR}}/fastcgi;',
    'uwsgi_temp_path {{RUN_DIR}}/uwsgi;',
    'scgi_temp_path {{RUN_DIR}}/scgi;',
    'access_log off;',
  ].join('\n    ');
}
