/**
 * The Teams app icons, drawn by the project: a key crossed out (sessions cut off). Shapes are
 * signed distance functions in a unit square, supersampled for smooth edges.
 *  - color: 192×192, the key in white on a rounded square of the accent colour;
 *  - outline: 32×32, the same key in white on a transparent background (Teams' rule).
 */
import { encodePng, type RgbaImage } from './png';

/** The manifest's accentColor and the colour icon's background. */
export const ACCENT_COLOR = '#2F5597';

type Sdf = (x: number, y: number) => number;

const ring =
  (cx: number, cy: number, r: number, width: number): Sdf =>
  (x, y) =>
    Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;
const box =
  (x0: number, y0: number, x1: number, y1: number, radius = 0): Sdf =>
  (x, y) => {
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - radius);
    const qy = Math.abs(y - cy) - ((y1 - y0) / 2 - radius);
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
  };
const segment =
  (ax: number, ay: number, bx: number, by: number, width: number): Sdf =>
  (x, y) => {
    const px = x - ax;
    const py = y - ay;
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
    return Math.hypot(px - dx * t, py - dy * t) - width / 2;
  };
const union =
  (...shapes: Sdf[]): Sdf =>
  (x, y) =>
    Math.min(...shapes.map((s) => s(x, y)));
const minus =
  (a: Sdf, b: Sdf): Sdf =>
  (x, y) =>
    Math.max(a(x, y), -b(x, y));

/** The glyph: a key (ring head, shaft, two teeth) and a slash across it, with a gap around the slash. */
function glyph(stroke: number): Sdf {
  const key = union(
    ring(0.32, 0.5, 0.12, stroke),
    box(0.43, 0.5 - stroke / 2, 0.82, 0.5 + stroke / 2, stroke / 4),
    box(0.66, 0.5, 0.66 + stroke, 0.66, stroke / 4),
    box(0.76, 0.5, 0.76 + stroke, 0.62, stroke / 4),
  );
  const slash = segment(0.18, 0.18, 0.82, 0.82, stroke);
  const gap = segment(0.18, 0.18, 0.82, 0.82, stroke * 2);
  return union(minus(key, gap), slash);
}

function hex(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** Coverage of a shape in one pixel, by 4×4 supersampling. */
function coverage(shape: Sdf, px: number, py: number, size: number): number {
  let inside = 0;
  for (let sy = 0; sy < 4; sy += 1) {
    for (let sx = 0; sx < 4; sx += 1) {
      if (shape((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size) <= 0) inside += 1;
    }
  }
  return inside / 16;
}

function draw(size: number, paint: (px: number, py: number) => [number, number, number, number]): RgbaImage {
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) pixels.set(paint(x, y), (y * size + x) * 4);
  }
  return { width: size, height: size, pixels };
}

/** The 192×192 full-colour icon. */
export function colorIcon(): RgbaImage {
  const size = 192;
  const [r, g, b] = hex(ACCENT_COLOR);
  const background = box(0, 0, 1, 1, 0.18);
  const mark = glyph(0.075);
  return draw(size, (x, y) => {
    const bg = coverage(background, x, y, size);
    const fg = coverage(mark, x, y, size);
    // White over the accent colour; alpha from the rounded square.
    const mix = (c: number): number => Math.round(c * (1 - fg) + 255 * fg);
    return [mix(r), mix(g), mix(b), Math.round(255 * bg)];
  });
}

/** The 32×32 outline icon: white on transparent. */
export function outlineIcon(): RgbaImage {
  const size = 32;
  const mark = glyph(0.1);
  return draw(size, (x, y) => [255, 255, 255, Math.round(255 * coverage(mark, x, y, size))]);
}

/** Both icons as PNG files, by their names in the package. */
export function iconFiles(): { 'color.png': Buffer; 'outline.png': Buffer } {
  return { 'color.png': encodePng(colorIcon()), 'outline.png': encodePng(outlineIcon()) };
}
