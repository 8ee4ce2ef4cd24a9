// Lint guards the runtime boundaries: packages/core stays pure, no package imports in a cycle,
// and every package declares what it imports.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const hostModules = ['fs', 'net', 'child_process', 'dgram', 'tls', 'http', 'https', 'http2', 'cluster', 'worker_threads', 'os', 'process'];
const forbiddenInCore = hostModules.flatMap((m) => [`node:${m}`, m, `node:${m}/*`, `${m}/*`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '**/node_modules/**', '.data/**', '.tmp/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/external-module-folders': ['node_modules'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // Each package declares what it imports; dev dependencies (the root's) only in tests, benches and scripts.
  ...['core', 'control', 'agent', 'edge', 'cli'].map((pkg) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      'import-x/no-extraneous-dependencies': ['error', { packageDir: ['.', `./packages/${pkg}`], devDependencies: ['**/*.test.ts', '**/test-support/**', '**/conformance.ts'] }],
    },
  })),
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: forbiddenInCore.filter((n) => !n.endsWith('/*')).map((name) => ({ name, message: 'packages/core is pure: take I/O, time and randomness as parameters.' })),
        patterns: [{ group: forbiddenInCore.filter((n) => n.endsWith('/*')), message: 'packages/core is pure.' }, { group: ['@trc/control', '@trc/agent', '@trc/edge', '@trc/cli', '@trc/control/*', '@trc/agent/*', '@trc/edge/*', '@trc/cli/*'], message: 'packages/core depends on no other package.' }],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'packages/core is pure.' }, { name: 'setTimeout', message: 'time comes in as a parameter' }, { name: 'setInterval', message: 'time comes in as a parameter' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'time comes in as a parameter' }, { object: 'Math', property: 'random', message: 'randomness comes in as a parameter' }],
    },
  },
  {
    files: ['packages/edge/src/**/*.ts', 'packages/agent/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'fastify', message: 'only the control plane serves HTTP with fastify' }, { name: 'pg', message: 'only the control plane talks to the database' }, { name: 'node:sqlite', message: 'only the control plane talks to the database' }] }],
    },
  },
);
