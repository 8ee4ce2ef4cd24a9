// platform-edge's options: the control-plane token from a file or the environment, never needed on argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrcError } from '@trc/core';
import { parseArgs } from './main.ts';

const base = ['--control', 'http://127.0.0.1:7700', '--admin', '127.0.0.1:9901'];

test('the control-plane token comes from --token-file or TRC_EDGE_TOKEN, so it stays out of the process list', () => {
  const files: Record<string, string> = { '/run/trc/edge.token': 'trc_node_secret_from_file\n' };
  const readFile = (p: string): string => {
    const text = files[p];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  };
  const fromFile = parseArgs([...base, '--token-file', '/run/trc/edge.token'], {}, readFile);
  assert.equal('token' in fromFile && fromFile.token, 'trc_node_secret_from_file');
  const fromEnv = parseArgs(base, { TRC_EDGE_TOKEN: 'trc_node_secret_from_env' }, readFile);
  assert.equal('token' in fromEnv && fromEnv.token, 'trc_node_secret_from_env');
  assert.throws(() => parseArgs([...base, '--token-file', '/nope'], {}, readFile), (e) => {
    assert.ok(isTrcError(e));
    assert.equal(e.code, 'TRC_EDGE_USAGE');
    assert.ok(e.problems.some((p) => p.path === '--token-file' && /ENOENT/.test(p.message)));
    return true;
  });
  assert.throws(() => parseArgs([...base, '--token', 'a', '--token-file', '/run/trc/edge.token'], {}, readFile), /bad options/);
  assert.throws(() => parseArgs(base, {}, readFile), (e) => isTrcError(e) && e.problems.some((p) => p.path === '--token' && p.message === 'is required'));
});
