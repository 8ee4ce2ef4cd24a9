// `platform envs create|delete|list|show`: an app's environments, prod and staging from the start, others by name.
import type { Command } from '../command.ts';
import { clientFor } from '../api/target.ts';
import { EXIT } from '../exit-codes.ts';
import { printJson, printTable } from '../output.ts';
import { printEnv, restartsText, scaleText, type EnvView } from './apps.ts';
import { APP_FLAG, ENV_FLAG, envName, envOf, required, seg, withServer } from './common.ts';

const NAME_ARG = { name: 'NAME', description: 'the environment: a DNS label such as preview-42' };

export const envsCreate: Command = {
  noun: 'envs', verb: 'create', summary: 'Create an empty environment in an app (no release, scale or secrets yet)',
  args: [NAME_ARG], flags: withServer({ app: APP_FLAG }), read: false,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = await clientFor(input, io).call<EnvView>('POST', `/apps/${seg(app)}/envs`, { name: envName(input.args.NAME!) });
    if (input.json) printJson(io, env);
    else io.stdout(`Created environment ${env.name} of app ${app}\n`);
    return EXIT.OK;
  },
};

export const envsDelete: Command = {
  noun: 'envs', verb: 'delete', summary: 'Delete an environment with no running instance, route, volume or IPv4 address left',
  args: [NAME_ARG], flags: withServer({ app: APP_FLAG }), read: false,
  async run(input, io) {
    const app = required(input, 'app', this);
    const env = envName(input.args.NAME!);
    await clientFor(input, io).call('DELETE', `/apps/${seg(app)}/envs/${seg(env)}`);
    io.stdout(`Deleted environment ${env} of app ${app}\n`);
    return EXIT.OK;
  },
};

export const envsList: Command = {
  noun: 'envs', verb: 'list', summary: "List an app's environments",
  args: [], flags: withServer({ app: APP_FLAG }), read: true,
  async run(input, io) {
    const envs = await clientFor(input, io).call<EnvView[]>('GET', `/apps/${seg(required(input, 'app', this))}/envs`);
    if (input.json) printJson(io, envs);
    else printTable(io, ['ENV', 'RELEASE', 'SCALE', 'SECRETS VERSION', 'RESTARTING'], envs.map((e) => [e.name, e.release, scaleText(e.scale), e.secretsVersion, restartsText(e.restarts)]));
    return EXIT.OK;
  },
};

export const envsShow: Command = {
  noun: 'envs', verb: 'show', summary: 'Show an environment: release, scale, secrets version, restarts in progress',
  args: [{ ...NAME_ARG, optional: true }], flags: withServer({ app: APP_FLAG, env: { ...ENV_FLAG, description: 'The environment, when NAME is not given (default: prod)' } }), read: true,
  async run(input, io) {
    const app = required(input, 'app', this);
    const name = input.args.NAME === undefined ? envOf(input) : envName(input.args.NAME);
    const env = await clientFor(input, io).call<EnvView>('GET', `/apps/${seg(app)}/envs/${seg(name)}`);
    if (input.json) printJson(io, env);
    else printEnv(io, app, env);
    return EXIT.OK;
  },
};
