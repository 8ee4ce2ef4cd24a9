// The secrets file options: root-owned 0400 by default; 0440 only with an explicitly named non-root group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecretsFile } from './secrets.ts';

test('the secrets file is root-owned 0400 when [secrets] is absent, empty or says so', () => {
  for (const raw of [undefined, {}, { mode: '0400' }]) assert.deepEqual(parseSecretsFile(raw, 'secrets'), { value: { mode: '0400' }, problems: [] });
});

test('mode "0440" with a named non-root group makes the file readable by that group', () => {
  assert.deepEqual(parseSecretsFile({ mode: '0440', group: 'app' }, 'secrets'), { value: { mode: '0440', group: 'app' }, problems: [] });
});

test('0440 without a group, a group with 0400, a root group or any other mode is TRC_MANIFEST_SECRETS_MODE with a hint', () => {
  const table: [Record<string, unknown>, string, string, string][] = [
    [{ mode: '0440' }, 'secrets.mode', 'TRC_MANIFEST_SECRETS_MODE', 'name the group explicitly: group = "app" (the non-root group your process runs as)'],
    [{ group: 'app' }, 'secrets.group', 'TRC_MANIFEST_SECRETS_MODE', 'set mode = "0440" to let the group read it, or remove group'],
    [{ mode: '0400', group: 'app' }, 'secrets.group', 'TRC_MANIFEST_SECRETS_MODE', 'set mode = "0440" to let the group read it, or remove group'],
    [{ mode: '0440', group: 'root' }, 'secrets.group', 'TRC_MANIFEST_SECRETS_MODE', 'name the non-root group your process runs as, or remove group'],
    [{ mode: '0440', group: 'App Users' }, 'secrets.group', 'TRC_MANIFEST_SECRETS_MODE', 'use a POSIX group name: lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32'],
    [{ mode: '0444' }, 'secrets.mode', 'TRC_MANIFEST_SECRETS_MODE', 'use mode = "0400" (the default, root only) or mode = "0440" with group = "<group>"'],
    [{ mode: '0600' }, 'secrets.mode', 'TRC_MANIFEST_SECRETS_MODE', 'use mode = "0400" (the default, root only) or mode = "0440" with group = "<group>"'],
    [{ mode: '440', group: 'app' }, 'secrets.mode', 'TRC_MANIFEST_SECRETS_MODE', 'did you mean "0440"?'],
    [{ mode: 0o440, group: 'app' }, 'secrets.mode', 'TRC_MANIFEST_WRONG_TYPE', 'write it as a string: mode = "0440"'],
    [{ mode: 400 }, 'secrets.mode', 'TRC_MANIFEST_WRONG_TYPE', 'write it as a string: mode = "0400"'],
    [{ mode: '0400', owner: 'app' }, 'secrets.owner', 'TRC_MANIFEST_UNKNOWN_FIELD', 'known fields here: mode, group'],
  ];
  for (const [raw, path, code, hint] of table) {
    const r = parseSecretsFile(raw, 'secrets');
    assert.equal(r.value, undefined, JSON.stringify(raw));
    assert.deepEqual(r.problems.map((p) => [p.path, p.code, p.hint]), [[path, code, hint]], JSON.stringify(raw));
  }
  assert.equal(parseSecretsFile('0400', 'secrets').problems[0]!.code, 'TRC_MANIFEST_WRONG_TYPE');
});
