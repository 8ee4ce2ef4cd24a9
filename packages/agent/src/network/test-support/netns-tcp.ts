// Tiny TCP servers and probes run inside test network namespaces (`ip netns exec`), each bounded in time.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const IP = '/usr/sbin/ip';

// Answers every connection with its name; exits by itself after 60 s so nothing outlives the test run.
const SERVER = `const [name, port] = process.argv.slice(1);
require('node:net').createServer((s) => s.end(name + '\\n')).listen(Number(port), '0.0.0.0', () => console.log('ready'));
setTimeout(() => process.exit(0), 60000).unref();`;

// Prints "ok:<reply>", "refused", "timeout" or "error:<code>" for one connection attempt of at most 1 s.
const PROBE = `const [host, port] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port), timeout: 1000 });
let reply = '';
s.on('data', (d) => { reply += d; });
s.on('end', () => { console.log('ok:' + reply.trim()); process.exit(0); });
s.on('timeout', () => { console.log('timeout'); process.exit(0); });
s.on('error', (e) => { console.log(e.code === 'ECONNREFUSED' ? 'refused' : 'error:' + e.code); process.exit(0); });`;

/** Starts a server named `name` on 0.0.0.0:port inside the namespace; resolves once it listens. */
export function startServer(netns: string, name: string, port: number): Promise<ChildProcess> {
  const child = spawn(IP, ['netns', 'exec', netns, process.execPath, '-e', SERVER, name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${name} did not start`)), 10_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${name} exited with ${code}`));
    });
  });
}

/** One connection attempt from inside a namespace. */
export function probeFrom(netns: string, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(IP, ['netns', 'exec', netns, process.execPath, '-e', PROBE, host, String(port)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

/** One connection attempt from the host itself, as the edge proxy makes it. */
export function probeFromHost(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 });
    let reply = '';
    s.on('data', (d) => (reply += d.toString()));
    s.on('end', () => resolve(`ok:${reply.trim()}`));
    s.on('timeout', () => {
      s.destroy();
      resolve('timeout');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : `error:${e.code}`));
  });
}
