/**
 * `npm run package`: fills appPackage/manifest.json's placeholders from the environment, checks
 * the result against the Teams manifest schema and the icons against Teams' sizes, and writes
 * the package Teams accepts — manifest.json, color.png and outline.png at the zip's root.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ZipFile } from 'yazl';
import { fillTemplate, resolvePackageVariables } from './manifestTemplate';
import { readPngHeader } from './png';
import { validateTeamsManifest } from './validateManifest';

/** The files at the package root, with the size Teams wants for each icon. */
export const PACKAGE_ICONS = { 'color.png': 192, 'outline.png': 32 } as const;

export interface BuildOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder with manifest.json (the template) and the icons. */
  readonly sourceDir: string;
  /** Where manifest.json, the icons and the zip are written. */
  readonly outDir: string;
  readonly packageVersion: string;
}

export type BuildResult =
  | { ok: true; manifestPath: string; zipPath: string; manifest: Record<string, unknown> }
  | { ok: false; stage: 'variables' | 'template' | 'schema' | 'icons'; problems: string[] };

/** A fixed timestamp for zip entries, so the same inputs give the same zip. */
const ZIP_MTIME = new Date('2024-01-01T00:00:00Z');

function zipBuffers(files: readonly (readonly [string, Buffer])[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, data] of files) zip.addBuffer(data, name, { mtime: ZIP_MTIME, mode: 0o100644 });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
}

function checkIcons(icons: Readonly<Record<string, Buffer>>): string[] {
  const problems: string[] = [];
  for (const [name, size] of Object.entries(PACKAGE_ICONS)) {
    const header = icons[name] ? readPngHeader(icons[name]) : undefined;
    if (!header) problems.push(`${name} is missing or not a PNG.`);
    else if (header.width !== size || header.height !== size)
      problems.push(`${name} must be ${size}×${size} pixels (is ${header.width}×${header.height}).`);
    else if (name === 'outline.png' && header.colorType !== 6 && header.colorType !== 4)
      problems.push('outline.png must have an alpha channel (transparent background).');
  }
  return problems;
}

/** Builds the app package; nothing is written unless every check passes. */
export async function buildAppPackage(options: BuildOptions): Promise<BuildResult> {
  const variables = resolvePackageVariables(options.env, { packageVersion: options.packageVersion });
  if (!variables.ok) return { ok: false, stage: 'variables', problems: variables.problems };
  const filled = fillTemplate(readFileSync(path.join(options.sourceDir, 'manifest.json'), 'utf8'), variables.values);
  if (!filled.ok)
    return { ok: false, stage: 'template', problems: filled.missing.map((name) => `the template uses \${{${name}}}, which has no value.`) };
  const manifest = JSON.parse(filled.text) as Record<string, unknown>;
  const schemaProblems = await validateTeamsManifest(manifest);
  if (schemaProblems.length > 0) return { ok: false, stage: 'schema', problems: schemaProblems };
  const icons: Record<string, Buffer> = {};
  for (const name of Object.keys(PACKAGE_ICONS)) {
    try {
      icons[name] = readFileSync(path.join(options.sourceDir, name));
    } catch {
      // reported by checkIcons
    }
  }
  const iconProblems = checkIcons(icons);
  if (iconProblems.length > 0) return { ok: false, stage: 'icons', problems: iconProblems };

  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const packageDir = path.join(options.outDir, 'appPackage');
  mkdirSync(packageDir, { recursive: true });
  const manifestPath = path.join(packageDir, 'manifest.json');
  writeFileSync(manifestPath, manifestText);
  const files: [string, Buffer][] = [['manifest.json', Buffer.from(manifestText)]];
  for (const [name, data] of Object.entries(icons)) {
    writeFileSync(path.join(packageDir, name), data);
    files.push([name, data]);
  }
  const zipPath = path.join(options.outDir, 'session-revoker.zip');
  writeFileSync(zipPath, await zipBuffers(files));
  return { ok: true, manifestPath, zipPath, manifest };
}
