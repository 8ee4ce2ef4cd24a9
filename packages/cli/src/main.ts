// Entry point of `platform` (bin/platform): runs one command line with the real process I/O.
import process from 'node:process';
import pkg from '../package.json' with { type: 'json' };
import { runCli } from './cli.ts';
import { nodeIo } from './node-io.ts';
import { COMMANDS, NOUNS } from './registry.ts';

// exitCode rather than exit(): pending writes to piped stdout/stderr are flushed first.
process.exitCode = await runCli(process.argv.slice(2), { nouns: NOUNS, commands: COMMANDS, version: pkg.version }, nodeIo());
