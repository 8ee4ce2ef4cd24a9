// Did-you-mean suggestions for mistyped words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean } from './suggest.ts';

test('didYouMean finds the closest word within typo distance, or a unique prefix, else nothing', () => {
  assert.equal(didYouMean('secret', ['secrets', 'apps']), 'secrets');
  assert.equal(didYouMean('chek', ['check', 'render']), 'check');
  assert.equal(didYouMean('--jsn', ['--json', '--help']), '--json');
  assert.equal(didYouMean('--evn', ['--env', '--all']), '--env');
  assert.equal(didYouMean('sercets', ['secrets']), 'secrets');
  assert.equal(didYouMean('ren', ['render', 'routes']), 'render');
  assert.equal(didYouMean('r', ['render', 'routes']), undefined);
  assert.equal(didYouMean('deploy', ['secrets']), undefined);
  assert.equal(didYouMean('x', []), undefined);
});
