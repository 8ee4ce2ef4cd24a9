// The `[secrets]` table of platform.toml (ADR 0010): the delivered secrets file is root-owned 0400, or
// group-readable 0440 for a non-root group the manifest names explicitly.
import type { Problem } from '../errors/errors.ts';
import { checkKnownFields, isTable, joinPath, problem, readString, wrongType } from './fields.ts';

export type SecretsFile = { readonly mode: '0400' } | { readonly mode: '0440'; readonly group: string };

export const SECRETS_FIELDS = ['mode', 'group'] as const;
export const DEFAULT_SECRETS_FILE: SecretsFile = { mode: '0400' };

/** POSIX portable group names, as useradd accepts them. */
const GROUP = /^[a-z_][a-z0-9_-]{0,31}$/;

const MODE_HINT = 'use mode = "0400" (the default, root only) or mode = "0440" with group = "<group>"';

export function parseSecretsFile(raw: unknown, path: string): { value?: SecretsFile; problems: Problem[] } {
  if (raw === undefined) return { value: DEFAULT_SECRETS_FILE, problems: [] };
  if (!isTable(raw)) return { problems: [wrongType(path, 'a table', raw, `write it as a section: [${path}]`)] };
  const problems: Problem[] = [];
  checkKnownFields(raw, path, SECRETS_FIELDS, problems);
  const modeAt = joinPath(path, 'mode');
  const groupAt = joinPath(path, 'group');

  let mode: string | undefined = '0400';
  if (typeof raw.mode === 'number') {
    // TOML reads 0o440 as 288 and 440 as four hundred and forty; both are meant as the string.
    const meant = raw.mode === 0o440 || raw.mode === 440 ? '0440' : raw.mode === 0o400 || raw.mode === 400 ? '0400' : undefined;
    problems.push(wrongType(modeAt, 'a string', raw.mode, meant === undefined ? MODE_HINT : `write it as a string: mode = "${meant}"`));
    mode = undefined;
  } else if (raw.mode !== undefined) {
    mode = readString(raw, 'mode', path, problems);
    if (mode !== undefined && mode !== '0400' && mode !== '0440') {
      const hint = mode === '400' || mode === '440' ? `did you mean "0${mode}"?` : MODE_HINT;
      problems.push(problem(modeAt, 'TRC_MANIFEST_SECRETS_MODE', `secrets file mode "${mode}" is not allowed`, hint));
      mode = undefined;
    }
  }

  const group = readString(raw, 'group', path, problems);
  if (group !== undefined) {
    if (!GROUP.test(group)) {
      problems.push(problem(groupAt, 'TRC_MANIFEST_SECRETS_MODE', `"${group}" is not a group name`, 'use a POSIX group name: lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32'));
    } else if (group === 'root') {
      problems.push(problem(groupAt, 'TRC_MANIFEST_SECRETS_MODE', 'group "root" adds nothing: the file is already owned by root', 'name the non-root group your process runs as, or remove group'));
    } else if (mode === '0400') {
      problems.push(problem(groupAt, 'TRC_MANIFEST_SECRETS_MODE', `group "${group}" is set but mode is "0400", so the group cannot read the file`, 'set mode = "0440" to let the group read it, or remove group'));
    }
  }
  if (mode === '0440' && group === undefined && raw.group === undefined) {
    problems.push(problem(modeAt, 'TRC_MANIFEST_SECRETS_MODE', 'mode "0440" makes the secrets file group-readable, but no group is named', 'name the group explicitly: group = "app" (the non-root group your process runs as)'));
  }
  if (problems.length > 0) return { problems };
  return { value: mode === '0440' && group !== undefined ? { mode: '0440', group } : DEFAULT_SECRETS_FILE, problems };
}
