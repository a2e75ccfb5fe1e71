/**
 * Loaded into the Microsoft 365 Agents Playground's process (`node --import`). The Playground
 * (0.2.x) listens on every network interface and has no option to choose: its server calls
 * `listen(port)` with no host. Here a listen that names no host or path listens on 127.0.0.1
 * instead, so the demo's browser client is reachable from this machine only.
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
// eslint-disable-next-line @typescript-eslint/unbound-method -- the original, kept to be called with .apply on each server below
const listen = net.Server.prototype.listen as Listen;

function onLoopback(args: unknown[]): unknown[] {
  const [first, second] = args;
  if (first === undefined || typeof first === 'function') return [0, LOOPBACK, ...args.slice(first === undefined ? 1 : 0)];
  // listen(port[, host][, backlog][, callback]): a port as a number or a string of digits; a path is a string that is not.
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))
    return typeof second === 'string' ? args : [first, LOOPBACK, ...args.slice(1)];
  if (
    typeof first === 'object' &&
    first !== null &&
    !('path' in first) &&
    !('fd' in first) &&
    !('_handle' in first) &&
    !('handle' in first)
  ) {
    const options = first as net.ListenOptions;
    return options.host ? args : [{ ...options, host: LOOPBACK }, ...args.slice(1)];
  }
  return args;
}

net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]): net.Server {
  return listen.apply(this, onLoopback(args));
} as typeof net.Server.prototype.listen;
