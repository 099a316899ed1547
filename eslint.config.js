// ESLint flat config: typescript-eslint with type information (the rules that know a Promise when they see one).
// `npm run lint` runs this and `prettier --check`; `npm run format` applies the fixes of both.
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', 'bench/results/', 'test/fixtures/', '.stryker-tmp/', 'reports/']),
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // Type information from tsconfig.json (src, test, bench); the root config files are outside it.
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The HTTP server shares in-flight promises between requests: a promise nobody awaits or catches is a bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `return promise` inside try/catch skips the catch when it rejects: await it there (and only there).
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // An async function without await is how fastify plugins and Promise-returning interface methods are written here.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      // tsc reports these (noUnusedLocals, noUnusedParameters in tsconfig.json): one source of truth.
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
      // `catch {}` is how this code says "ignore"; other empty blocks are still reported.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // vitest's asymmetric matchers (expect.stringContaining, expect.any, ...) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Test helpers hand out methods that tests destructure: `const { scrape } = await setup()`.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (bench/, scripts/, this file): not in a TypeScript project, so no type-aware rules.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
