/**
 * Reading a request body with bounded work, before anyone is authenticated: the headers are
 * checked first (type, coding, declared length), then at most `maxBytes` are read off the
 * wire — the bytes as they arrive are the decoded bytes, because no content coding is
 * accepted, so a small gzip body can never become a large one here. Nothing is written to
 * disk and nothing is parsed before the whole body is in and within its limit.
 *
 * A refused request is answered at once; what the client still sends is read and dropped up
 * to a small allowance (so it can read the answer rather than meet a reset), then the
 * connection is closed (see {@link refuse}).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Why a body was refused, as the HTTP answer to give. */
export interface BodyRefusal {
  readonly status: 400 | 413 | 415;
  readonly error: string;
}

export type BodyResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: BodyRefusal };

export interface JsonBodyLimits {
  /** Most bytes the body may have (as sent and as decoded: they are the same here). */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
}

/** `application/json`, with no parameter or a UTF-8 charset (RFC 8259: JSON exchanged between systems is UTF-8). */
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** The headers alone decide these refusals: no byte of the body is read for them. */
export function refuseByHeaders(headers: IncomingMessage['headers'], maxBytes: number): BodyRefusal | undefined {
  if (!JSON_TYPE.test((headers['content-type'] ?? '').trim()))
    return { status: 415, error: 'Content-Type must be application/json (UTF-8).' };
  const coding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  // RFC 9110 §15.5.16: 415 for a content coding the server does not accept.
  if (coding !== '' && coding !== 'identity')
    return { status: 415, error: 'Content-Encoding is not accepted: send the body uncompressed.' };
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return tooLarge(maxBytes);
  return undefined;
}

/** Reads the whole body if it stays within `maxBytes`; stops reading as soon as it does not. */
export function readBounded(req: IncomingMessage, maxBytes: number): Promise<BodyResult<Buffer>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (result: BodyResult<Buffer>): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) {
        // What was read so far is dropped with the chunks array; the rest is never kept.
        req.pause();
        finish({ ok: false, refusal: tooLarge(maxBytes) });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, value: Buffer.concat(chunks, length) });
    const onError = (): void => finish({ ok: false, refusal: { status: 400, error: 'The request body could not be read.' } });
    // 'close' before 'end': the client went away mid-body.
    req.on('data', onData).once('end', onEnd).once('error', onError).once('close', onError);
  });
}

/** The body as one JSON object: headers checked, at most `maxBytes` read, then parsed and its nesting checked. */
export async function readJsonObject(req: IncomingMessage, limits: JsonBodyLimits): Promise<BodyResult<Record<string, unknown>>> {
  const early = refuseByHeaders(req.headers, limits.maxBytes);
  if (early) return { ok: false, refusal: early };
  const read = await readBounded(req, limits.maxBytes);
  if (!read.ok) return read;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(read.value));
  } catch {
    return { ok: false, refusal: { status: 400, error: 'The body is not valid JSON.' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, refusal: { status: 400, error: 'The body must be a JSON object.' } };
  if (jsonDepth(value, limits.maxDepth) > limits.maxDepth)
    return { ok: false, refusal: { status: 400, error: 'The body nests too deeply.' } };
  return { ok: true, value: value as Record<string, unknown> };
}

/** How deep a JSON value nests (arrays and objects); stops counting past the limit. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [node, depth] = entry;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export interface Linger {
  /** Most further bytes read and dropped after a refusal before the connection is closed. */
  readonly maxBytes: number;
  /** Longest the connection is kept for them. */
  readonly maxMs: number;
}

/**
 * Answers a refused request with a small JSON error, then reads away what the client still
 * sends, within `linger`. The answer is complete on the wire at once (it has a Content-Length),
 * but the response is ended only when the body has been read away: Node closes the connection
 * when a response ends if the client asked for that, and closing with the body still arriving
 * resets the connection under a client that is still writing, which then never sees the answer.
 * If the body does not end within `linger`, the connection is closed.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  refusal: { readonly status: number; readonly error: string },
  linger: Linger,
): void {
  const body = JSON.stringify({ error: refusal.error });
  res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  if (req.complete) {
    res.end(body);
    return;
  }
  res.write(body);
  dropRest(req, linger, (whole) => {
    res.end();
    if (!whole) closeGently(req);
  });
}

/** How long a refused client that keeps sending has, after our FIN, to read the answer before the reset. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Closes the connection of a client that would not stop sending: stop reading (its bytes now
 * wait in the kernel's buffers, costing us nothing), send FIN after the answer, and reset only
 * after a grace period. Destroying at once would reset the connection while the answer may still
 * be unread in the client's buffers, and a reset makes its TCP stack drop them.
 */
function closeGently(req: IncomingMessage): void {
  const socket = req.socket;
  req.pause();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Reads and drops the rest of a request body, within `linger`; `done(true)` when it ended within it. */
export function dropRest(
  req: IncomingMessage,
  linger: Linger,
  done: (whole: boolean) => void = (whole) => whole || req.socket.destroy(),
): void {
  if (req.complete) {
    done(true);
    return;
  }
  let dropped = 0;
  const finish = (whole: boolean): void => {
    clearTimeout(timer);
    req.off('data', onData).off('end', onEnd).off('close', onClose);
    done(whole);
  };
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped > linger.maxBytes) finish(false);
  };
  const onEnd = (): void => finish(true);
  const onClose = (): void => finish(false);
  const timer = setTimeout(() => finish(false), linger.maxMs);
  timer.unref();
  req.on('data', onData).once('end', onEnd).once('close', onClose);
  req.resume();
}

function tooLarge(maxBytes: number): BodyRefusal {
  return { status: 413, error: `The request body is too large (at most ${maxBytes} bytes).` };
}
