// npm run lint: typescript-eslint's strict, type-checked rules, no import cycles, and the
// architecture's boundaries (which folder may import what) said as rules with a reason each.
// Prettier owns formatting (eslint-config-prettier turns off every rule that would fight it).
// The packages that need the TypeScript compiler API come from the tools/eslint workspace, which
// holds the typescript 6 they support beside them (the project itself compiles with typescript 7).
// npm run lint keeps eslint's cache (node_modules/.cache/eslint, keyed by content): a file is linted
// again when it or this config changes. A type-aware finding that another file's change causes in
// an unchanged file shows on a run without the cache, as in CI's fresh clone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import { architecture, createTypeScriptImportResolver, importX, tseslint } from '@session-revoker/eslint-typescript';

const PROJECTS = ['src', 'emulator', 'demo', 'test', 'scripts', 'bench'];

/** A package that only one edge of the product may import, and why. */
const BOTBUILDER = {
  regex: '^(botbuilder|botframework-)',
  message:
    'botbuilder and botframework-* belong to the Teams edge: import them in src/bot (or src/doctor, which probes the Bot Connector).',
};
const RESTIFY = {
  regex: '^restify(/|$)',
  message: 'restify belongs to the HTTP edge: import it in src/http, and hand the rest of the product plain values.',
};
const DOMAIN_ALONE = {
  regex: '^(?!\\.)',
  message: 'src/domain imports no package and no node: module: the rest of the product passes what it needs in as values or ports.',
};

/** Which top-level project may import which, as tsc's project references allow (tsconfig.json in each folder). */
const PROJECT_ZONES = [
  {
    target: './src/domain',
    from: './src',
    except: ['./domain'],
    message: 'src/domain imports nothing from the rest of the product: the rest depends on it, never the other way.',
  },
  {
    target: './src',
    from: ['./emulator', './demo', './test', './scripts', './bench'],
    message:
      'The product (src) never imports the emulator, the demo, the tests, the scripts or the benchmarks: they are built and shipped apart.',
  },
  {
    target: './emulator',
    from: ['./src', './demo', './test', './scripts', './bench'],
    message:
      'The emulator stands alone: it imports nothing from the product (it plays Microsoft, which knows nothing of this bot), the demo or the tests.',
  },
  {
    target: './demo',
    from: ['./src', './test', './scripts', './bench'],
    message: 'The demo may use the emulator, never the product (it starts the built bot as a process).',
  },
  {
    target: './scripts',
    from: ['./demo', './test', './bench'],
    message: 'The scripts may use the product and the emulator only.',
  },
  {
    target: './test',
    from: ['./bench'],
    message: 'The tests do not import the benchmarks.',
  },
];

export default defineConfig(
  {
    ignores: ['dist/', 'build/', '.tsbuild/', 'node_modules/', 'tools/', 'test-output/', '*.mjs', '*.js'],
  },
  {
    files: PROJECTS.map((project) => `${project}/**/*.ts`),
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked, prettier],
    plugins: { 'import-x': importX, architecture },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parserOptions: {
        // One program over all the folders (tools/eslint/tsconfig.json): each file type-checked once.
        project: './tools/eslint/tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // A number reads the same in a template as anywhere (counts, ports, statuses); undefined,
      // null, objects and booleans in a message are still refused.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowRegExp: false },
      ],
      // `async` is how a function promises to reject rather than throw: the storage ports are
      // async (Azure Blob) and the SQLite adapters fulfil them synchronously, as do handlers that
      // fit an async signature. Without `async` their throws would escape synchronously.
      '@typescript-eslint/require-await': 'off',
      // Destructuring to leave a key out (`const { hash, ...rest } = record`) is how the code omits
      // a field; a parameter named `_x` is kept for its signature (an interface, a callback).
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // `(resolve) => server.close(() => resolve())`: a callback written as an arrow expression
      // returns nothing anyone reads; a void value used as a value is still refused.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // An empty string means "not given" here (environment variables, typed text): `value || fallback`
      // says so, where `??` would keep the empty string.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // Not import-x/no-cycle: it skips `import type`, and a cycle over types is still a cycle.
      'architecture/no-import-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: PROJECT_ZONES }],
    },
  },
  // Boundaries inside the product. Each block states the whole list for its folder (a later block
  // replaces an earlier one's options for the same rule).
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BOTBUILDER, RESTIFY] }] },
  },
  {
    files: ['src/bot/**/*.ts', 'src/doctor/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [RESTIFY] }] },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BOTBUILDER] }] },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [DOMAIN_ALONE] }] },
  },
  {
    // The store's `replace<T>` takes its type argument as `get<T>` and `create<T>` do, so a caller
    // names the shape it writes (`store.replace<Counter>(…)`), although T appears once.
    files: ['src/app/ports/stateStore.ts', 'src/storage/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-type-parameters': 'off' },
  },
  // Tests and benchmarks, relaxed where the strict rules would make them harder to read, not less safe:
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // A test or a benchmark reads the value it has just arranged (a card, a reply, a row) with
      // `!`; when it is missing the run still fails, at that line.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // mocha's before() assigns variables declared without `undefined`, and after() guards them
      // with `?.` because before() may have failed half-way; the types cannot see either.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
);
