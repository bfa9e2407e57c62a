// ESLint (flat config) for `npm run lint` / `make lint`: the recommended JavaScript and
// typescript-eslint rules, the type-aware rules that catch promise bugs (a promise nobody
// awaits or whose rejection nobody handles, a promise passed where a callback's result is
// ignored), and React's rules of hooks. Style is left to the compiler settings and review.
// typescript-eslint needs TypeScript's JavaScript API, which TypeScript 7 does not ship:
// package.json maps `typescript` to @typescript/typescript6 for it, while `tsc` (the build)
// comes from TypeScript 7 through the @typescript/native alias.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
