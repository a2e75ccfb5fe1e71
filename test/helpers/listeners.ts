/** What a process listens on, from Linux's /proc: the honest answer to "which interfaces is it reachable on". */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** IPv4 in /proc/net/tcp: four bytes in host (little-endian) order. */
function ipv4(hex: string): string {
  return [hex.slice(6, 8), hex.slice(4, 6), hex.slice(2, 4), hex.slice(0, 2)].map((b) => parseInt(b, 16)).join('.');
}

/** IPv6 in /proc/net/tcp6: four 32-bit words, each in host order. */
function ipv6(hex: string): string {
  const bytes: string[] = [];
  for (let word = 0; word < 4; word += 1) {
    const w = hex.slice(word * 8, word * 8 + 8);
    bytes.push(w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2));
  }
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(parseInt(bytes[i]! + bytes[i + 1]!, 16).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  if (text.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${ipv4([bytes[15], bytes[14], bytes[13], bytes[12]].join(''))}`;
  return text;
}

/** The addresses (address:port) on which process `pid` has listening TCP sockets. */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const found: string[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (!local || state !== '0A' || !inode || !inodes.has(inode)) continue;
      const [address, port] = local.split(':') as [string, string];
      found.push(`${decode(address)}:${parseInt(port, 16)}`);
    }
  }
  return found.sort();
}

/** Whether an address:port from {@link listeningAddresses} is reachable from this machine only. */
export function isLoopback(addressAndPort: string): boolean {
  const address = addressAndPort.slice(0, addressAndPort.lastIndexOf(':'));
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}
