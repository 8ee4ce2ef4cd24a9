// The DNS-label naming rule for apps, process types, routes and volumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkName, isValidName } from './names.ts';

test('names are DNS labels: lowercase letters, digits and "-", starting with a letter, not ending with "-", at most 63', () => {
  for (const good of ['a', 'web', 'web-2', 'api-v1', 'x'.repeat(63), 'constructor']) assert.ok(isValidName(good), good);
  for (const bad of ['', 'Web', 'web_1', '1web', '-web', 'web-', 'x'.repeat(64), 'my app', 'web.1', 'wéb', '__proto__']) assert.ok(!isValidName(bad), bad);
});

test('a bad name is TRC_MANIFEST_INVALID_NAME, saying the rule, with a corrected name when there is one', () => {
  const p = checkName('My_App', 'app', 'app');
  assert.equal(p?.code, 'TRC_MANIFEST_INVALID_NAME');
  assert.equal(p?.path, 'app');
  assert.match(p?.message ?? '', /DNS label: 1 to 63 lowercase letters, digits and "-", starting with a letter and not ending with "-"/);
  assert.equal(p?.hint, 'did you mean "my-app"?');
  assert.equal(checkName('2web-', 'processes.2web-', 'process type')?.hint, 'did you mean "web"?');
  assert.match(checkName('123', 'processes.123', 'process type')?.hint ?? '', /use a DNS label/);
  assert.equal(checkName('web', 'processes.web', 'process type'), undefined);
});
