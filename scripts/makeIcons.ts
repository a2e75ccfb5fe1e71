/** Writes appPackage/color.png and appPackage/outline.png from scripts/appPackage/icons.ts, their source (the PNGs are committed; rerun after changing the drawing). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { iconFiles } from './appPackage/icons';

const dir = path.join(__dirname, '..', 'appPackage');
for (const [name, png] of Object.entries(iconFiles())) {
  writeFileSync(path.join(dir, name), png);
  console.log(`wrote appPackage/${name} (${png.length} bytes)`);
}
