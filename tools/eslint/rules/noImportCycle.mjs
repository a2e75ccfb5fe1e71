// architecture/no-import-cycle: no module may reach itself again through its imports.
// Unlike import-x/no-cycle, `import type` counts: a cycle over types is still two modules that
// cannot be read, moved or tested apart (the cycles this project once had all ran over types).
// Only relative imports are followed (packages cannot import this project back). Other files'
// imports are read with TypeScript's preprocessor, which scans the import list without parsing
// or type-checking, once per file per run.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** file -> the project files it imports (relative imports resolved to .ts files). */
const importsByFile = new Map();

function resolveRelative(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = /\.[cm]?js$/.test(base) ? [base.replace(/\.([cm]?)js$/, '.$1ts')] : [base, `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => candidate.endsWith('ts') && existsSync(candidate));
}

function importsOf(file) {
  let imports = importsByFile.get(file);
  if (imports === undefined) {
    const scanned = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    imports = new Set(scanned.importedFiles.map((imported) => resolveRelative(file, imported.fileName)).filter(Boolean));
    importsByFile.set(file, imports);
  }
  return imports;
}

/** The shortest chain of imports from `start` back to `target`, or undefined when there is none. */
function routeBack(start, target) {
  const cameFrom = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of importsOf(file)) {
      if (next === target) {
        const route = [file];
        for (let step = cameFrom.get(file); step !== undefined; step = cameFrom.get(step)) route.unshift(step);
        return route;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles, type-only imports included.' },
    schema: [],
    messages: { cycle: 'Import cycle: {{route}}. Move what both need into a module of its own, or pass it in.' },
  },
  create(context) {
    const file = context.physicalFilename;
    const cwd = context.cwd;
    function check(source) {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const imported = resolveRelative(file, source.value);
      if (imported === undefined || imported === file) return;
      const route = routeBack(imported, file);
      if (route === undefined) return;
      const names = [file, ...route, file].map((step) => path.relative(cwd, step));
      context.report({ node: source, messageId: 'cycle', data: { route: names.join(' → ') } });
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportEqualsDeclaration: (node) => check(node.moduleReference?.expression),
    };
  },
};
