/** IP address helpers shared by the rate limiter (prefixes, loopback), config checks and messages. */
import { isIP } from 'node:net';

/** `host:port`, with an IPv6 address in brackets (Go's net.JoinHostPort; `splitHostPort` in config.ts undoes it). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isLoopbackAddress(address: string): boolean {
  const v4 = mappedIpv4(address);
  if (v4) return v4.startsWith('127.');
  const bytes = ipv6Bytes(address);
  return bytes !== undefined && bytes.subarray(0, 15).every((byte) => byte === 0) && bytes[15] === 1;
}

/** `a.b.c.d` for an IPv4 address or an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`), else undefined. */
export function mappedIpv4(address: string): string | undefined {
  if (isIP(address) === 4) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1] : undefined;
}

/** The 16 bytes of an IPv6 address (a zone suffix ignored), or undefined. */
export function ipv6Bytes(address: string): Buffer | undefined {
  const plain = address.replace(/%.*$/, '');
  if (isIP(plain) !== 6) return undefined;
  const [head = '', tail] = plain.split('::') as [string, string?];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const words: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
        words.push((a << 8) | b, (c << 8) | d);
      } else words.push(parseInt(group, 16));
    }
    return words;
  };
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const words = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  words.forEach((word, index) => bytes.writeUInt16BE(word, index * 2));
  return bytes;
}
