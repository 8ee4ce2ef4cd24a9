// `platform events`: the event log the token may see, as a table, or followed live (NDJSON from
// /v1/events?follow=1), one line per event, until Ctrl-C, --max, --until or --timeout.
import process from 'node:process';
import { userError } from '@trc/core';
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { printJson, printTable } from '../output.ts';
import { wholeNumber, withServer } from './common.ts';

export interface EventView { seq: number; type: string; aggregateId: string; aggregateVersion: number; actor: string; time: string; payload: unknown }

// Long or nested payload fields (sealed bundles, manifests) stay out of the one-line view; --json has everything.
const SKIPPED = new Set(['sealed', 'manifest']);

/** `InstanceStateReported instanceId=ins_... state=healthy`: the payload's short scalar fields. */
export function describeEvent(event: EventView): string {
  const fields = Object.entries((event.payload ?? {}) as Record<string, unknown>)
    .filter(([k, v]) => !SKIPPED.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .filter((f) => f.length <= 120);
  return [event.type, ...fields].join(' ');
}

export const events: Command = {
  noun: 'events', verb: '', summary: 'Show the event log the token may see; --follow streams it live',
  description: [
    'Without --follow: the events after --after (default 0), oldest first, up to --limit (default 100).',
    'With --follow: every matching event from --after on, then live ones, one line each (with --json, one JSON',
    'object per line), until Ctrl-C, --max events, an event of the --until type, or --timeout seconds (exit 1 if',
    '--max or --until was given and not met by then, else 0).',
  ].join('\n'),
  args: [],
  flags: withServer({
    app: { type: 'string', short: 'a', description: 'Only events of this app', valueName: 'APP' },
    type: { type: 'string', description: 'Only these event types (comma-separated)', valueName: 'T[,T...]' },
    after: { type: 'string', description: 'Only events with a seq above this', valueName: 'SEQ' },
    limit: { type: 'string', description: 'At most this many events (without --follow; default 100, at most 1000)', valueName: 'N' },
    follow: { type: 'boolean', short: 'f', description: 'Stream events as they are appended' },
    max: { type: 'string', description: 'With --follow: stop after N events', valueName: 'N' },
    until: { type: 'string', description: 'With --follow: stop after an event of this type', valueName: 'TYPE' },
    timeout: { type: 'string', description: 'With --follow: stop after this many seconds (exit 1, TRC_CLI_TIMEOUT, if --max or --until was not met)', valueName: 'SECONDS' },
  }),
  read: true,
  examples: ['platform events --app shop --follow', 'platform events --type RestartRequired,RestartCompleted --json'],
  async run(input, io) {
    const f = input.flags as Record<string, string | boolean | undefined>;
    const query = new URLSearchParams();
    if (typeof f.app === 'string') query.set('app', f.app);
    if (typeof f.type === 'string') query.set('type', f.type);
    query.set('after', String(wholeNumber((f.after as string | undefined) ?? '0', '--after', this)));
    const client = clientFor(input, io);
    if (f.follow !== true) {
      for (const only of ['max', 'until', 'timeout']) if (f[only] !== undefined) throw userError('TRC_CLI_USAGE', `--${only} needs --follow`, 'add --follow, or leave it out');
      query.set('limit', String(wholeNumber((f.limit as string | undefined) ?? '100', '--limit', this)));
      const list = await client.call<EventView[]>('GET', `/events?${query.toString()}`);
      if (input.json) printJson(io, list);
      else printTable(io, ['SEQ', 'TIME', 'EVENT'], list.map((e) => [e.seq, e.time, describeEvent(e)]));
      return EXIT.OK;
    }
    if (f.limit !== undefined) throw userError('TRC_CLI_USAGE', '--limit does not apply to --follow', 'use --max N to stop after N events');
    const max = f.max === undefined ? Infinity : wholeNumber(f.max as string, '--max', this);
    const timeoutS = f.timeout === undefined ? undefined : wholeNumber(f.timeout as string, '--timeout', this);
    query.set('follow', '1');
    const controller = new AbortController();
    let seen = 0;
    let timedOut = false;
    const timer = timeoutS === undefined ? undefined : setTimeout(() => ((timedOut = true), controller.abort()), timeoutS * 1000);
    // Ctrl-C ends a follow normally: it is how the user says "enough".
    const interrupt = (): void => controller.abort();
    process.once('SIGINT', interrupt);
    try {
      if (max > 0) {
        await client.stream(`/events?${query.toString()}`, (item) => {
          const event = item as EventView;
          io.stdout(input.json ? `${JSON.stringify(event)}\n` : `${event.seq} ${event.time} ${describeEvent(event)}\n`);
          if (++seen >= max || event.type === f.until) controller.abort();
        }, { signal: controller.signal });
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      process.off('SIGINT', interrupt);
    }
    // --timeout alone bounds a watch; with --max or --until it bounds a wait, and running out is a failure.
    if (timedOut && (f.max !== undefined || f.until !== undefined)) throw userError('TRC_CLI_TIMEOUT', `stopped following after ${timeoutS} s (${seen} event(s))`, 'raise --timeout, or use --max / --until to stop on what you wait for');
    if (!controller.signal.aborted && max > 0 && !timedOut) throw userError('TRC_CLI_UNREACHABLE', `the control plane at ${client.url} closed the event stream`, 'is it shutting down? Run the command again with --after the last seq shown');
    return EXIT.OK;
  },
};
