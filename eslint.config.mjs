// Lint: typescript-eslint's recommended rules, plus the one rule Temporal workflows live by.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['bin/*.js', 'scripts/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly', __filename: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Workflows must be deterministic: no I/O modules from the engine, only pure spec code and types.
      'no-restricted-imports': ['error', { patterns: ['../src/conn/*', '../src/stream/*', '../src/apply/*', '../src/snapshot/*', '../src/schema/*', 'pg', 'node:*'] }],
    },
  },
);
