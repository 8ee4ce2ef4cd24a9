// `make run`: the whole platform on one host with embedded defaults (scripts/run/): a local registry with
// the example image, the control plane, a node agent, the edge proxy, and the example deployed with a
// secret and a route. Runs until SIGINT/SIGTERM, then stops everything; a second signal forces.
import process from 'node:process';
import { LocalPlatform } from './run/local-platform.ts';
import { formatError, isTrcError } from '@trc/core';
import { missingTools, needsRoot, toolsMissing } from './run/host.ts';
import { parseRunOptions, USAGE } from './run/options.ts';

const REPO = new URL('..', import.meta.url).pathname;

function log(line: string): void {
  process.stderr.write(`make run: ${line}\n`);
}

async function main(): Promise<number> {
  if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    console.log(USAGE);
    return 0;
  }
  let options;
  try {
    options = parseRunOptions(process.argv.slice(2), process.env, REPO);
  } catch (e) {
    if (!isTrcError(e)) throw e;
    console.error(formatError(e));
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error(formatError(needsRoot()));
    return 1;
  }
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(formatError(toolsMissing(missing)));
    return 1;
  }

  const platform = new LocalPlatform(options, log);
  let signalled: (() => void) | undefined;
  const stopRequested = new Promise<void>((resolve) => (signalled = resolve));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      log(`${signal}: stopping everything (again to force)`);
      platform.abort();
      signalled?.();
      return;
    }
    log(`${signal} again: killing everything`);
    void platform.stop(true).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code = 0;
  try {
    const started = platform.start();
    // A signal during the start stops at once rather than after the (bounded) waits.
    const outcome = await Promise.race([started.then((r) => ({ r })), stopRequested.then(() => undefined)]);
    // The start gives up at its next step; let it, so nothing starts behind the stop's back.
    if (outcome === undefined) await started.catch(() => undefined);
    else {
      process.stdout.write(platform.instructions(outcome.r));
      process.stdout.write(`make run: reachable at ${outcome.r.url}\n`);
      await stopRequested;
    }
  } catch (e) {
    if (isTrcError(e)) console.error(formatError(e));
    else console.error('make run: TRC_INTERNAL:', e);
    code = isTrcError(e) ? 1 : 70;
  }
  await platform.stop(false);
  return code;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(70);
});
