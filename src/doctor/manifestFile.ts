/** Reads the Teams app manifest an admin uploaded: a manifest.json, or the package zip. */
import { readFileSync } from 'node:fs';
import { readZip } from '../appPackage/zipReader';

export type ManifestRead = { ok: true; manifest: Record<string, unknown> } | { ok: false; problem: string };

export function readManifestFile(file: string): ManifestRead {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return { ok: false, problem: `no app package at ${file}` };
  }
  let text: string;
  if (file.toLowerCase().endsWith('.zip')) {
    try {
      const entry = readZip(bytes).find((e) => e.name === 'manifest.json');
      if (!entry) return { ok: false, problem: `${file} has no manifest.json at its root` };
      text = entry.data.toString('utf8');
    } catch (error) {
      return { ok: false, problem: `${file} is not a readable zip (${error instanceof Error ? error.message : String(error)})` };
    }
  } else text = bytes.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { ok: false, problem: `${file} is not a JSON object` };
    return { ok: true, manifest: parsed as Record<string, unknown> };
  } catch {
    return { ok: false, problem: `${file} is not valid JSON` };
  }
}
