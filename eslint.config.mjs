// Lint rules: typescript-eslint's type-aware recommended set, plus the determinism guard for workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Workflow code is replayed: no I/O, no wall clock, no randomness, no Node built-ins.
    files: ['workflows/**/*.ts'],
    rules: {
      // typescript-eslint's version: a type-only import (a client's option types, workflows/starts/) does no I/O.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process', 'net'], message: 'Node built-ins are not allowed in workflow code.' },
        { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'knex', 'pg', 'express', 'pino'], message: 'Workflows must not do I/O.', allowTypeImports: true },
        { group: ['../activities', '../activities/*'], message: 'Use `import type` and proxyActivities for activities.', allowTypeImports: true },
      ] }],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use the SDK’s deterministic random (it is Math.random inside the sandbox, but say so explicitly via uuid4()).' },
      ],
    },
  },
  {
    // Tests read untyped JSON bodies and rows on purpose; the assertions are the type check there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Scripts and benchmarks talk to a terminal.
    files: ['scripts/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
