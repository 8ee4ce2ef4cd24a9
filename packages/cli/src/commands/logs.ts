// `platform logs INSTANCE`: the end of an instance's stdout or stderr. With --app (org users), read through the
// control plane with the API token, which asks the node agent that runs it; with --agent (operators on the
// node), read from the agent's admin endpoint (`GET /logs/<instance>?tail=N`) with the node's admin token.
import { TrcError, userError } from '@trc/core';
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { readInput } from '../input.ts';
import { APP_FLAG, ENV_FLAG, envOf, withServer, wholeNumber } from './common.ts';
import { checkEnv, followThroughControl, readThroughControl } from './logs-control.ts';

const DEFAULT_TOKEN_FILE = '/var/lib/trc/agent/admin.token';

export const logs: Command = {
  noun: 'logs',
  verb: '',
  summary: "Show the end of an instance's stdout or stderr (through the control plane, or from its node agent)",
  description: [
    "Reads the instance's kept log (bounded and rotated on its node).",
    'With --app: through the control plane with your API token (TRC_URL/TRC_TOKEN or `platform login`), which reads',
    "it from the agent of the instance's node; --follow then polls every second for new lines until Ctrl-C or --timeout.",
    "Without --app (operators on the node): from the node agent's admin endpoint. The agent URL is --agent or",
    '$TRC_AGENT_URL (default http://127.0.0.1:7701); the token is read from --agent-token-file, else $TRC_AGENT_TOKEN,',
    `else ${DEFAULT_TOKEN_FILE}. \`platform instances list\` names the instance and its node.`,
  ].join('\n'),
  args: [{ name: 'INSTANCE', description: 'the instance id (ins_...)' }],
  flags: withServer({
    app: APP_FLAG,
    env: { ...ENV_FLAG, description: 'The environment the instance must belong to (with --app)' },
    follow: { type: 'boolean', short: 'f', description: 'Keep printing new lines, polling every second (with --app)' },
    timeout: { type: 'string', description: 'With --follow: stop after this many seconds (default: until Ctrl-C)', valueName: 'SECONDS' },
    agent: { type: 'string', description: "The node agent's admin URL", valueName: 'URL' },
    'agent-token-file': { type: 'string', description: "A file holding the agent's admin token", valueName: 'FILE' },
    tail: { type: 'string', short: 'n', description: 'How many lines from the end (default 100, at most 10000)', valueName: 'N' },
    stderr: { type: 'boolean', description: 'Show stderr instead of stdout' },
  }),
  read: true,
  examples: ['platform logs --app shop ins_0123456789abcdef --tail 20', 'platform logs --app shop ins_0123456789abcdef --stderr --follow', 'platform logs ins_0123456789abcdef --stderr --agent http://10.0.0.5:7701'],
  async run(input, io) {
    const f = input.flags as Record<string, string | boolean | undefined>;
    const id = input.args.INSTANCE!;
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id)) throw userError('TRC_CLI_USAGE', `"${id.slice(0, 70)}" is not an instance id`, 'give the id `platform instances list` shows, e.g. ins_0123456789abcdef');
    const tail = wholeNumber((f.tail as string | undefined) ?? '100', '--tail', this);
    const stream = f.stderr === true ? 'stderr' : 'stdout';
    if (f.app === undefined && (f.follow === true || f.env !== undefined)) throw userError('TRC_CLI_USAGE', `--${f.follow === true ? 'follow' : 'env'} needs --app`, 'give the app: platform logs --app APP INSTANCE');
    if (typeof f.app === 'string') {
      if (f.agent !== undefined) throw userError('TRC_CLI_USAGE', '--app and --agent cannot be combined', 'use --app with your API token, or --agent with the node admin token');
      const client = clientFor(input, io);
      if (f.env !== undefined) await checkEnv(client, f.app, envOf(input), id);
      const request = { app: f.app, instance: id, tail, stream } as const;
      if (f.follow === true) {
        if (input.json) throw userError('TRC_CLI_USAGE', '--follow prints lines as they come, not JSON', 'drop --json, or --follow');
        await followThroughControl(client, io, request, wholeNumber((f.timeout as string | undefined) ?? '0', '--timeout', this) * 1000);
        return EXIT.OK;
      }
      const text = await readThroughControl(client, request);
      if (input.json) io.stdout(`${JSON.stringify({ instance: id, stream, lines: text === '' ? [] : text.replace(/\n$/, '').split('\n') })}\n`);
      else io.stdout(text);
      return EXIT.OK;
    }
    const base = ((f.agent as string | undefined) ?? io.env.TRC_AGENT_URL ?? 'http://127.0.0.1:7701').replace(/\/+$/, '');
    const tokenFile = f['agent-token-file'] as string | undefined;
    const token = tokenFile === undefined && io.env.TRC_AGENT_TOKEN !== undefined
      ? io.env.TRC_AGENT_TOKEN
      : new TextDecoder().decode(await readInput(io, tokenFile ?? DEFAULT_TOKEN_FILE)).trim();
    const url = `${base}/logs/${id}?tail=${tail}&stream=${f.stderr === true ? 'stderr' : 'stdout'}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      throw userError('TRC_AGENT_ADMIN_UNREACHABLE', `the node agent cannot be reached at ${base}`, "give the node's admin address with --agent (platform-agent --admin-listen)", { cause: error });
    }
    const text = await res.text();
    if (res.status === 401) throw userError('TRC_UNAUTHENTICATED', 'the node agent refused the admin token', "use the node's admin.token (in the agent's state directory)");
    if (!res.ok) {
      let body: { code?: string; message?: string; hint?: string } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // not JSON
      }
      if (res.status === 404) throw userError('TRC_NOT_FOUND', body.message ?? `instance ${id} is not on this node`, 'check the instance id and which node runs it (`platform instances list`)');
      throw new TrcError('TRC_AGENT_CONTROL_REJECTED', `the node agent answered ${res.status}: ${(body.message ?? text).slice(0, 300)}`);
    }
    if (input.json) io.stdout(`${JSON.stringify({ instance: id, stream: f.stderr === true ? 'stderr' : 'stdout', lines: text === '' ? [] : text.replace(/\n$/, '').split('\n') })}\n`);
    else io.stdout(text);
    return EXIT.OK;
  },
};
