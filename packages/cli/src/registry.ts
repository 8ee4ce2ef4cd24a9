// Every command of `platform`. Adding one: write it in commands/ and add it to COMMANDS (and its noun to NOUNS if new).
import type { Command } from './command.ts';
import { secretsCheck } from './commands/secrets-check.ts';
import { login, logout, whoami } from './commands/session.ts';
import { orgsCreate, orgsList, orgsShow } from './commands/orgs.ts';
import { tokensCreate, tokensList, tokensRevoke } from './commands/tokens.ts';
import { appsCreate, appsDelete, appsList, appsShow, instancesList, releasesList } from './commands/apps.ts';
import { envsCreate, envsDelete, envsList, envsShow } from './commands/envs.ts';
import { deploy, scale } from './commands/deploy.ts';
import { secretsList, secretsRender, secretsSet, secretsUnset } from './commands/secrets.ts';
import { ipPoolSet, ipPoolShow, ipsAllocate, ipsList, ipsRelease, routesCreate, routesDelete, routesList, routesStatus } from './commands/network.ts';
import { adminVerify, nodesJoinToken, nodesList, quotasSet, quotasShow, settingsSet, settingsShow, volumesCreate, volumesDelete, volumesList } from './commands/cluster.ts';
import { events } from './commands/events.ts';
import { logs } from './commands/logs.ts';

export const NOUNS: Readonly<Record<string, string>> = {
  login: 'Store the control plane URL and a token',
  logout: 'Forget the stored URL and token',
  whoami: 'Show the control plane and what the token is',
  orgs: 'Orgs (operator creates them)',
  tokens: 'Org API tokens and node join tokens',
  apps: 'Apps and their environments',
  envs: "An app's environments (prod, staging, and any created by name)",
  deploy: 'Create a release from platform.toml and an image, and deploy it',
  releases: "An app's releases",
  scale: 'How many instances of each process type run',
  instances: "An app's instances",
  secrets: 'Secrets and TRC_SECRETS_V1 files',
  routes: 'Public TCP routes',
  ips: 'Dedicated IPv4 addresses',
  'ip-pool': "The operator's IPv4 address pool",
  volumes: 'Local volumes',
  quotas: "Org quotas",
  nodes: 'Nodes and join tokens (operator)',
  events: 'The event log, listed or followed live',
  logs: "An instance's stdout or stderr, from its node agent",
  settings: 'Cluster settings (operator)',
  admin: 'Operator maintenance: verify the event log',
};

export const COMMANDS: readonly Command[] = [
  login, logout, whoami,
  orgsCreate, orgsList, orgsShow,
  tokensCreate, tokensList, tokensRevoke,
  appsCreate, appsList, appsShow, appsDelete,
  envsCreate, envsDelete, envsList, envsShow,
  deploy, releasesList, scale, instancesList,
  secretsSet, secretsUnset, secretsList, secretsRender, secretsCheck,
  routesCreate, routesList, routesDelete, routesStatus,
  ipsAllocate, ipsList, ipsRelease, ipPoolShow, ipPoolSet,
  volumesCreate, volumesList, volumesDelete,
  quotasShow, quotasSet,
  nodesList, nodesJoinToken,
  events,
  logs,
  settingsShow, settingsSet,
  adminVerify,
];
