// `GET /v1/events?follow=1`: the log as NDJSON, catch-up then live, for the CLI and node agents.
// The stream ends when the client goes away or the server closes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../commands/actor.ts';
import type { Control } from '../commands/control.ts';
import { viewOf } from '../commands/events.ts';
import { forbidden } from '../commands/actor.ts';
import { eventFilter } from './routes.ts';

export async function followEvents(control: Control, actor: Actor, query: Readonly<Record<string, string | undefined>>, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (actor.kind === 'join') throw forbidden('read events');
  const filter = eventFilter(query);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  const unsubscribe = control.deps.store.subscribe(
    (events) => {
      const lines = events.map((e) => viewOf(actor, filter, e)).filter((e) => e !== undefined).map((e) => `${JSON.stringify(e)}\n`);
      if (lines.length > 0 && !res.destroyed) res.write(lines.join(''));
    },
    { afterSeq: filter.afterSeq ?? 0 },
  );
  await new Promise<void>((resolve) => {
    const end = () => {
      unsubscribe();
      resolve();
    };
    request.raw.once('close', end);
    res.once('close', end);
  });
}
