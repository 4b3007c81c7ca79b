import type { ServerResponse } from 'node:http';

export interface MarathonEvent {
  eventType: string;
  timestamp: string;
  [field: string]: unknown;
}

interface Subscriber {
  response: ServerResponse;
  types: ReadonlySet<string> | undefined;
}

const HEARTBEAT_MS = 10_000;
/** A subscriber this far behind is dropped, as Marathon drops slow consumers. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Marathon's event bus with its `/v2/events` server-sent-event stream (CRLF frames, 10 s heartbeats). */
export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private readonly listeners = new Set<(event: MarathonEvent) => void>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => Date) {}

  publish(eventType: string, fields: Record<string, unknown>): void {
    const event: MarathonEvent = { ...fields, eventType, timestamp: this.now().toISOString() };
    for (const listener of this.listeners) listener(event);
    const frame = `event: ${eventType}\r\ndata: ${JSON.stringify(event)}\r\n\r\n`;
    for (const subscriber of this.subscribers) {
      if (subscriber.types && !subscriber.types.has(eventType)) continue;
      this.write(subscriber, frame);
    }
  }

  /** In-process listeners (tests, the scheduler's own bookkeeping). */
  listen(listener: (event: MarathonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  attach(response: ServerResponse, remoteAddress: string, types: string[]): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'close',
    });
    const subscriber: Subscriber = { response, types: types.length > 0 ? new Set(types) : undefined };
    this.subscribers.add(subscriber);
    response.on('close', () => {
      this.subscribers.delete(subscriber);
      this.stopHeartbeatIfIdle();
    });
    const attached = {
      remoteAddress,
      eventType: 'event_stream_attached',
      timestamp: this.now().toISOString(),
    };
    this.write(subscriber, `event: event_stream_attached\r\ndata: ${JSON.stringify(attached)}\r\n\r\n`);
    this.heartbeat ??= setInterval(() => {
      for (const each of this.subscribers) this.write(each, '\r\n');
    }, HEARTBEAT_MS).unref();
  }

  close(): void {
    for (const subscriber of this.subscribers) subscriber.response.end();
    this.subscribers.clear();
    this.stopHeartbeatIfIdle();
  }

  private write(subscriber: Subscriber, frame: string): void {
    if (subscriber.response.writableLength > MAX_BUFFERED_BYTES) {
      subscriber.response.destroy();
      this.subscribers.delete(subscriber);
      return;
    }
    subscriber.response.write(frame);
  }

  private stopHeartbeatIfIdle(): void {
    if (this.subscribers.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }
}
