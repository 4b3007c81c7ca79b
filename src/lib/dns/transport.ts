/**
 * One DNS exchange over UDP or TCP, shared by `dns lookup` (client.ts) and the forwarder of `dns serve`:
 * replies must carry the query's ID and the response bit (RFC 5452 §4.3), anything else is ignored.
 */
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';

import { DcosError } from '../errors.js';
import { joinHostPort } from './addresses.js';
import type { Transport } from './resolver.js';
import { FLAG_QR } from './wire.js';

export interface ServerAddress {
  host: string;
  port: number;
}

export function serverLabel(server: ServerAddress): string {
  return joinHostPort(server.host, server.port);
}

function networkError(server: ServerAddress, transport: Transport, error: NodeJS.ErrnoException): DcosError {
  const where = `${serverLabel(server)} over ${transport.toUpperCase()}`;
  const reason =
    error.code === 'ECONNREFUSED'
      ? 'connection refused (is a DNS server listening there?)'
      : error.code === 'ENETUNREACH' || error.code === 'EHOSTUNREACH'
        ? 'network unreachable'
        : error.message;
  return new DcosError(`cannot query ${where}: ${reason}`, { code: 'dns_unreachable', cause: error });
}

function timeoutError(server: ServerAddress, transport: Transport, detail: string): DcosError {
  return new DcosError(`no answer from ${serverLabel(server)} over ${transport.toUpperCase()} ${detail}`, {
    code: 'dns_timeout',
  });
}

/** True when `reply` answers the query with this ID (RFC 5452 §4.3: anything else is ignored). */
function answers(reply: Buffer, id: number): boolean {
  return reply.length >= 12 && reply.readUInt16BE(0) === id && (reply.readUInt16BE(2) & FLAG_QR) !== 0;
}

/**
 * One UDP socket for all tries, so a late answer to an earlier try still counts (same ID). The socket is
 * connected: the kernel drops datagrams from other addresses and reports ICMP port-unreachable.
 */
export function exchangeUdp(
  message: Buffer,
  server: ServerAddress,
  options: { timeoutMs: number; retries: number; signal?: AbortSignal },
): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    const id = message.readUInt16BE(0);
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = settleOnce(resolvePromise, reject, options.signal, () => {
      clearTimeout(timer);
      socket.close();
    });
    const send = () => {
      tries++;
      socket.send(message, (error) => {
        if (error) finish(networkError(server, 'udp', error));
      });
      timer = setTimeout(() => {
        if (tries <= options.retries) return send();
        finish(timeoutError(server, 'udp', `after ${tries} tries of ${duration(options.timeoutMs)} each`));
      }, options.timeoutMs);
    };
    if (options.signal?.aborted) return;
    socket.on('error', (error) => finish(networkError(server, 'udp', error)));
    socket.on('message', (reply) => {
      if (answers(reply, id)) finish(undefined, reply);
    });
    socket.connect(server.port, server.host, send);
  });
}

/** One query over TCP with the 2-byte length prefix (RFC 1035 §4.2.2); replies with another ID are skipped. */
export function exchangeTcp(
  message: Buffer,
  server: ServerAddress,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const id = message.readUInt16BE(0);
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    // A wall-clock limit, not socket idle time: a server trickling bytes must not hold us forever.
    const timer = setTimeout(
      () => finish(timeoutError(server, 'tcp', `in ${duration(options.timeoutMs)}`)),
      options.timeoutMs,
    );
    const finish = settleOnce(resolvePromise, reject, options.signal, () => {
      clearTimeout(timer);
      socket.destroy();
    });
    if (options.signal?.aborted) return;
    socket.on('error', (error) => finish(networkError(server, 'tcp', error)));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= received.readUInt16BE(0) + 2) {
        const size = received.readUInt16BE(0);
        const reply = received.subarray(2, size + 2);
        received = received.subarray(size + 2);
        if (answers(reply, id)) return finish(undefined, reply);
      }
    });
    socket.on('end', () =>
      finish(
        new DcosError(`${serverLabel(server)} closed the TCP connection without answering`, {
          code: 'dns_no_answer',
        }),
      ),
    );
  });
}

/**
 * The one way an exchange ends: the first outcome wins, the socket and timer are released, and an abort of
 * `signal` (already aborted: at once) ends it with the signal's reason.
 */
function settleOnce(
  resolve: (reply: Buffer) => void,
  reject: (error: Error) => void,
  signal: AbortSignal | undefined,
  release: () => void,
): (error: unknown, reply?: Buffer) => void {
  let done = false;
  const finish = (error: unknown, reply?: Buffer) => {
    if (done) return;
    done = true;
    signal?.removeEventListener('abort', onAbort);
    release();
    if (error) reject(error instanceof Error ? error : new Error(String(error)));
    else resolve(reply!);
  };
  const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return finish;
}

function duration(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
