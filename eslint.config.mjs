import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * lib/ is layered: resp ← connection ← commands ← client ← cluster / redis-cluster / sentinel, with
 * testing beside them, and the `respline` command line (cli) on top. A layer may import the ones below
 * it and errors.ts, never one above.
 */
const ABOVE = {
  resp: [
    'connection',
    'commands',
    'client',
    'pipeline',
    'cluster',
    'redis-cluster',
    'sentinel',
    'testing',
    'cli',
    'index',
  ],
  connection: [
    'commands',
    'client',
    'pipeline',
    'cluster',
    'redis-cluster',
    'sentinel',
    'testing',
    'cli',
    'index',
  ],
  commands: ['client', 'pipeline', 'cluster', 'redis-cluster', 'sentinel', 'testing', 'cli', 'index'],
  client: ['cluster', 'redis-cluster', 'sentinel', 'testing', 'cli', 'index'],
};

function layer(files, above) {
  // Only paths that climb out of the folder: a sibling file may share a layer's name (groups/cluster.ts).
  const regex = `^(\\.\\./)+(${above.join('|')})(\\.js)?(/|$)`;
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex, message: 'lib/ is layered: import only from the layers below this one.' }] },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '.tmp/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(['lib/resp/**/*.ts', 'lib/errors.ts'], ABOVE.resp),
  layer(['lib/connection/**/*.ts'], ABOVE.connection),
  layer(['lib/commands/**/*.ts'], ABOVE.commands),
  layer(['lib/client.ts', 'lib/pipeline.ts', 'lib/client/**/*.ts'], ABOVE.client),
  layer(['lib/cluster/**/*.ts'], ['redis-cluster', 'sentinel', 'testing', 'cli', 'index']),
  layer(['lib/redis-cluster/**/*.ts', 'lib/testing/**/*.ts'], ['cli', 'index']),
  // The command line sits on top; it uses the client and cluster layers, never the testing kit.
  layer(['lib/cli/**/*.ts'], ['testing', 'index']),
  // Sentinel discovery works at the connection level (lib/client.ts wires it into Client), so it
  // imports only resp, connection and errors, never the layers that import it.
  layer(
    ['lib/sentinel/**/*.ts'],
    ['commands', 'client', 'pipeline', 'cluster', 'redis-cluster', 'testing', 'cli', 'index'],
  ),
);
