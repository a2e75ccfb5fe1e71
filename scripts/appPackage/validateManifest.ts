/**
 * Validates a Teams app manifest against Microsoft's JSON schema for its manifestVersion, as
 * bundled in @microsoft/app-manifest (dev dependency): the schema is read from the package, never
 * fetched, so this works offline.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';

/** The bundled schema file for a manifest version (e.g. '1.30'); throws when the package has none. */
export function bundledSchemaPath(manifestVersion: string): string {
  if (!/^\d+\.\d+$/.test(manifestVersion)) throw new Error(`manifestVersion "${manifestVersion}" is not a version like 1.30`);
  const root = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));
  return path.join(root, 'build', 'json-schemas', 'teams', `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
}

/** Schema errors of the manifest (empty when valid). Also checks that $schema names the same version. */
export async function validateTeamsManifest(manifest: Record<string, unknown>): Promise<string[]> {
  const version = typeof manifest.manifestVersion === 'string' ? manifest.manifestVersion : '';
  const expectedSchema = `https://developer.microsoft.com/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`;
  const problems: string[] = [];
  if (manifest.$schema !== expectedSchema) problems.push(`$schema must be ${expectedSchema}`);
  let schemaText: string;
  try {
    schemaText = readFileSync(bundledSchemaPath(version), 'utf8');
  } catch (error) {
    return [...problems, `no bundled schema for manifestVersion "${version}": ${error instanceof Error ? error.message : String(error)}`];
  }
  // Some bundled schemas carry \a and \v escapes JSON does not allow; the package's own reader rewrites them the same way.
  const schema = JSON.parse(schemaText.replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as Parameters<
    typeof AppManifestUtils.validateAgainstSchema
  >[1];
  return [...problems, ...(await AppManifestUtils.validateAgainstSchema(manifest as unknown as AppManifest, schema))];
}
