// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over the TypeScript sources.
// Formatting is prettier's job (.prettierrc.json); `npm run lint` runs both in check mode, and .ci/run calls it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'docs/**', 'models/**/*.json', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Hostile-input code and tests read loosely typed data on purpose (parsed JSON, PDUs, playwright handles).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
