/**
 * A minimal PNG encoder and header reader (RGBA, 8 bits per channel), enough for the Teams
 * app icons the project draws itself: no dependency beyond node:zlib.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { crc32 } from '../../src/appPackage/crc32';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGBA image: width × height pixels, 4 bytes each, row by row. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** Encodes an RGBA image as a PNG file (colour type 6, no interlace). */
export function encodePng(image: RgbaImage): Buffer {
  const { width, height, pixels } = image;
  if (pixels.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes of RGBA, got ${pixels.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  // compression, filter, interlace: 0
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(pixels.buffer, pixels.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** What a PNG's header says. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 6 = RGBA, 2 = RGB, 3 = palette, 0/4 = grey (with alpha). */
  readonly colorType: number;
}

/** Reads the IHDR of a PNG file; undefined when it is not a PNG. */
export function readPngHeader(file: Uint8Array): PngHeader | undefined {
  const buffer = Buffer.from(file);
  if (buffer.length < 33 || !buffer.subarray(0, 8).equals(SIGNATURE) || buffer.toString('ascii', 12, 16) !== 'IHDR') return undefined;
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20), bitDepth: buffer[24] ?? 0, colorType: buffer[25] ?? 0 };
}

/** Decodes an 8-bit RGBA, non-interlaced PNG whose rows use filter 0 (what encodePng writes); undefined otherwise. */
export function decodeRgbaPng(file: Uint8Array): RgbaImage | undefined {
  const header = readPngHeader(file);
  if (header?.bitDepth !== 8 || header.colorType !== 6) return undefined;
  const buffer = Buffer.from(file);
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= buffer.length;) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString('ascii', at + 4, at + 8);
    if (type === 'IDAT') idat.push(buffer.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = header.width * 4;
  const pixels = new Uint8Array(header.width * header.height * 4);
  for (let y = 0; y < header.height; y += 1) {
    if (raw[y * (stride + 1)] !== 0) return undefined;
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width: header.width, height: header.height, pixels };
}
