/**
 * The transparent forwarder of Mesos-DNS (exchanger/forwarder.go): the client's message goes unchanged, over
 * the transport the client used, to each resolver in order; the first reply wins. No caching.
 */
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';

import type { Transport } from './resolver.js';

export interface Upstream {
  host: string;
  port: number;
}

/** `ip`, `ip:port`, `[v6]:port` or a bare IPv6 address; port 53 by default. */
export function parseResolver(spec: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (isIP(spec) === 6) return { host: spec, port: 53 };
  const colon = spec.lastIndexOf(':');
  if (colon > 0) return { host: spec.slice(0, colon), port: Number(spec.slice(colon + 1)) };
  return { host: spec, port: 53 };
}

export interface ForwardOptions {
  transport: Transport;
  timeoutMs: number;
  /** Called once per failed resolver (Mesos-DNS logs each). */
  onError?: (resolver: string, error: Error) => void;
}

/** The first upstream reply, or undefined when every resolver failed (the caller answers SERVFAIL). */
export async function forward(
  message: Buffer,
  resolvers: readonly string[],
  options: ForwardOptions,
): Promise<Buffer | undefined> {
  for (const resolver of resolvers) {
    try {
      const upstream = parseResolver(resolver);
      return options.transport === 'tcp'
        ? await exchangeTcp(message, upstream, options.timeoutMs)
        : await exchangeUdp(message, upstream, options.timeoutMs);
    } catch (error) {
      options.onError?.(resolver, error as Error);
    }
  }
  return undefined;
}

export function exchangeUdp(message: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(upstream.host) === 6 ? 'udp6' : 'udp4');
    const id = message.readUInt16BE(0);
    let done = false;
    const finish = (error: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${upstream.host}:${upstream.port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (error) => finish(error));
    socket.on('message', (reply) => {
      // Anything else arriving on this port is not the answer (RFC 5452 §4.3).
      if (reply.length >= 12 && reply.readUInt16BE(0) === id) finish(undefined, reply);
    });
    socket.connect(upstream.port, upstream.host, () => socket.send(message));
  });
}

export function exchangeTcp(message: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (error: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no answer from ${upstream.host}:${upstream.port} in ${timeoutMs} ms`)),
    );
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const size = received.readUInt16BE(0);
      if (received.length >= size + 2) finish(undefined, received.subarray(2, size + 2));
    });
    socket.on('end', () => finish(new Error(`${upstream.host}:${upstream.port} closed the connection`)));
  });
}
