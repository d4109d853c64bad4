// ESLint 9 flat config (`npm run lint`: this over src, test, bench and scripts, then `tsc --noEmit`).
// typescript-eslint's `recommended`, plus the type-aware rules that find real bugs at no noise here: promises
// nobody awaits or that land where a void callback is expected, awaiting a non-promise, throwing non-errors.
// (`recommendedTypeChecked` as a whole reports ~450 findings on this tree, ~290 of them `!` on indexed reads
// that the code writes on purpose, most of the rest `any` from JSON.parse in tests: not worth their noise.)
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['build/**', 'node_modules/**', 'runs/**', 'test-output/**', 'bench/results/**', 'experiments/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always'],
      // the e2e tests match the CLI's two-space column gaps literally; `/ {2}/` would read worse
      'no-regex-spaces': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
      '@typescript-eslint/no-unsafe-unary-minus': 'error',
    },
  },
  {
    // tests feed deliberately wrong shapes through `as any`
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
