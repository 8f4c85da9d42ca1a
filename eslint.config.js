// ESLint (flat config). Workflow code must stay deterministic: it may import only
// @temporalio/workflow, other workflow files, core/ and types from activities/.
const { builtinModules } = require('node:module');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioLibraries = [
  'kafkajs',
  'ioredis',
  'presto-client',
  'avsc',
  '@aws-sdk/*',
  '@duckdb/*',
  '@kafkajs/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard's page script runs in the browser (a classic script, no modules, no build step).
    files: ['workers/api/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'sessionStorage', 'fetch', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'echarts'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The client SDK runs in browsers: no Node module on its core path (sdk/node.ts holds the Node extras),
    // and nothing of the project but the event types of schemas/.
    files: ['sdk/**/*.ts'],
    ignores: ['sdk/node.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'The SDK core runs in browsers: Node modules belong in sdk/node.ts.' })),
          patterns: [{ regex: '^\\.\\./(?!schemas/)', message: 'The SDK imports nothing of the project but schemas/.' }],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows are deterministic: do I/O in an activity.' })),
          patterns: [
            { group: ioLibraries, message: 'Workflows are deterministic: do I/O in an activity.' },
            { group: ['**/workers/**', '**/infra/**', '**/core/config'], message: 'Workflows receive their inputs; they never read config or touch infra.' },
            { group: ['**/activities/**', '**/activities'], allowTypeImports: true, message: 'Import only types from activities (proxyActivities<T>).' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'Date', message: 'Use workflow time from the input, not the wall clock.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Math.random breaks replay; derive from the input.' }],
    },
  },
);
