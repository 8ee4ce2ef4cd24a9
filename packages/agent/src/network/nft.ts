// Applies and removes TRC's nftables table; only ever the one table named in the node config.
import { mustRun, runCommand, type Tool } from './command.ts';
import { renderRuleset, type RulesetInput } from './ruleset.ts';

/** Runs an nft script (`nft -f -`): one transaction, applied whole or not at all. */
export async function runNftScript(nft: Tool, script: string): Promise<void> {
  await mustRun(nft, ['-f', '-'], script);
}

/** Replaces the table in one nft transaction (see renderRuleset). */
export async function applyRuleset(nft: Tool, input: RulesetInput): Promise<void> {
  await mustRun(nft, ['-f', '-'], renderRuleset(input));
}

/** Deletes the table if it exists. */
export async function deleteTable(nft: Tool, table: string): Promise<void> {
  const listed = await runCommand(nft, ['list', 'table', 'inet', table]);
  if (listed.code !== 0) return;
  await mustRun(nft, ['delete', 'table', 'inet', table]);
}
