/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766) with a budget per connection and for all of them: a client that
 * pipelines queries without reading the replies stops being read from once its unsent replies pass a bound; a
 * connection must complete a query every `idleMs` (a client trickling bytes, or one that stopped reading, is
 * closed); and at the connection cap the least recently active idle connection makes room, else the new one
 * is turned away.
 */
import type { Socket } from 'node:net';

import type { Transport } from './resolver.js';

export interface TcpLimits {
  maxConnections: number;
  idleMs: number;
  maxInFlight: number;
  maxUnsentBytes: number;
}

export interface TcpMetrics {
  /** Gauge: connections open now. */
  tcpConnections: number;
  /** Connections closed for not completing a query in time. */
  tcpTimedOut: number;
  /** Idle connections closed to make room for a new one at the cap. */
  tcpEvicted: number;
  /** New connections turned away at the cap (every open one busy). */
  tcpRefused: number;
}

/** Answers one message; `respond` is called exactly once, with undefined when there is nothing to send. */
export type MessageHandler = (
  message: Buffer,
  transport: Transport,
  respond: (reply: Buffer | undefined) => void,
) => void;

class DnsTcpConnection {
  /** Bytes read and not yet taken as whole messages. */
  private unread: Buffer = Buffer.alloc(0);
  private inFlight = 0;
  private pumping = false;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    readonly socket: Socket,
    private readonly owner: TcpConnections,
  ) {
    this.deadline = setTimeout(() => this.onDeadline(), owner.limits.idleMs);
    socket.on('data', (chunk: Buffer) => {
      this.unread = this.unread.length === 0 ? chunk : Buffer.concat([this.unread, chunk]);
      this.pump();
    });
    socket.on('drain', () => this.pump());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(this.deadline);
      this.unread = Buffer.alloc(0);
      owner.forget(this);
    });
  }

  /** Nothing asked, nothing being answered, nothing waiting to be sent. */
  get idle(): boolean {
    return this.inFlight === 0 && this.unread.length === 0 && this.socket.writableLength === 0;
  }

  private onDeadline(): void {
    // A forwarded query has its own timeout; the connection waits for it rather than cutting it off.
    if (this.inFlight > 0 && this.socket.writableLength === 0) {
      this.deadline.refresh();
      return;
    }
    this.owner.metrics.tcpTimedOut++;
    this.socket.destroy();
  }

  /** Takes whole messages (pipelining, RFC 7766 §6.2.1.1) while the budget allows, then reads on or pauses. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const { maxInFlight, maxUnsentBytes } = this.owner.limits;
    const socket = this.socket;
    while (
      !socket.destroyed &&
      this.inFlight < maxInFlight &&
      socket.writableLength <= maxUnsentBytes &&
      this.unread.length >= 2
    ) {
      const size = this.unread.readUInt16BE(0);
      if (this.unread.length < size + 2) break;
      // A copy: a forwarded query outlives this chunk, which must not stay pinned for it.
      const message = Buffer.from(this.unread.subarray(2, size + 2));
      this.unread = this.unread.subarray(size + 2);
      this.inFlight++;
      this.deadline.refresh();
      this.owner.touch(this);
      this.owner.handler(message, 'tcp', (reply) => this.send(reply));
    }
    this.pumping = false;
    if (socket.destroyed) return;
    const blocked = this.inFlight >= maxInFlight || socket.writableLength > maxUnsentBytes;
    if (blocked) socket.pause();
    else socket.resume();
  }

  private send(reply: Buffer | undefined): void {
    this.inFlight--;
    if (reply && !this.socket.destroyed) {
      const framed = Buffer.allocUnsafe(reply.length + 2);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      this.socket.write(framed);
    }
    this.pump();
  }

  close(): void {
    this.socket.destroy();
  }
}

export class TcpConnections {
  /** In order of last activity, least recent first. */
  private readonly open = new Set<DnsTcpConnection>();

  constructor(
    readonly limits: TcpLimits,
    readonly handler: MessageHandler,
    readonly metrics: TcpMetrics,
  ) {}

  get size(): number {
    return this.open.size;
  }

  accept(socket: Socket): void {
    if (this.open.size >= this.limits.maxConnections) {
      const idle = this.leastRecentIdle();
      if (!idle) {
        this.metrics.tcpRefused++;
        socket.destroy();
        return;
      }
      this.metrics.tcpEvicted++;
      idle.close();
      this.forget(idle);
    }
    this.open.add(new DnsTcpConnection(socket, this));
    this.metrics.tcpConnections = this.open.size;
  }

  private leastRecentIdle(): DnsTcpConnection | undefined {
    for (const connection of this.open) if (connection.idle) return connection;
    return undefined;
  }

  touch(connection: DnsTcpConnection): void {
    this.open.delete(connection);
    this.open.add(connection);
  }

  forget(connection: DnsTcpConnection): void {
    this.open.delete(connection);
    this.metrics.tcpConnections = this.open.size;
  }

  closeAll(): void {
    for (const connection of this.open) connection.close();
    this.open.clear();
    this.metrics.tcpConnections = 0;
  }
}
