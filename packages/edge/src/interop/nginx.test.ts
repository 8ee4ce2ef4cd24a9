// Interop: nginx with `listen ... proxy_protocol` behind the edge sees the real client; without it, the edge flags it.
import { runProxyReceiverInterop } from './receiver-case.ts';
import { nginxHttpPreamble, startNginx } from '../test-support/nginx.ts';
import { hostPort } from '../test-support/ports.ts';

runProxyReceiverInterop('nginx', (ports) => {
  const config = `events { worker_connections 256; }
http {
    ${nginxHttpPreamble()}
    server {
        listen ${hostPort(ports.proxied4.host, ports.proxied4.port)} proxy_protocol;
        listen ${hostPort(ports.proxied6.host, ports.proxied6.port)} proxy_protocol;
        default_type text/plain;
        location / { return 200 "$proxy_protocol_addr:$proxy_protocol_port"; }
    }
    server {
        listen ${hostPort(ports.plain4.host, ports.plain4.port)};
        default_type text/plain;
        location / { return 200 "no PROXY here"; }
    }
}
`;
  return startNginx({ config, ready: [ports.proxied4, ports.proxied6, ports.plain4] });
});
