// Interop: HAProxy 2.6 with `accept-proxy` behind the edge sees the real client; without it, the edge flags it.
import { runProxyReceiverInterop } from './receiver-case.ts';
import { haproxyAddress, haproxyPreamble, startHaproxy } from '../test-support/haproxy.ts';

runProxyReceiverInterop('HAProxy', (ports) => {
  const config = `${haproxyPreamble('http')}
frontend proxied
  bind ${haproxyAddress(ports.proxied4.host, ports.proxied4.port)} accept-proxy
  bind ${haproxyAddress(ports.proxied6.host, ports.proxied6.port)} accept-proxy
  http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"

frontend plain
  bind ${haproxyAddress(ports.plain4.host, ports.plain4.port)}
  http-request return status 200 content-type text/plain string "no PROXY here"
`;
  return startHaproxy({ config, ready: [ports.proxied4, ports.proxied6, ports.plain4] });
});
