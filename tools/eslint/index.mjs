// The lint packages that need the TypeScript compiler's JavaScript API, loaded from this workspace
// (whose node_modules holds typescript 6 for them) and handed to the root eslint.config.mjs,
// with the project's own rules.
import { noImportCycle } from './rules/noImportCycle.mjs';

export { default as tseslint } from 'typescript-eslint';
export { importX } from 'eslint-plugin-import-x';
export { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Rules this project wrote for what no published plugin checks. */
export const architecture = { meta: { name: 'architecture' }, rules: { 'no-import-cycle': noImportCycle } };
