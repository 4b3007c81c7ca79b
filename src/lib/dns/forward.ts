/**
 * The transparent forwarder of Mesos-DNS (exchanger/forwarder.go): the client's message goes unchanged, over
 * the transport the client used, to each resolver in order; the first reply wins. No caching.
 */
import { parseResolver } from './config.js';
import type { Transport } from './resolver.js';
import { exchangeTcp, exchangeUdp } from './transport.js';

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
      const parsed = parseResolver(resolver);
      if (!parsed) throw new Error(`'${resolver}' is not ip[:port]`);
      const upstream = { host: parsed.ip, port: parsed.port };
      // One try each, as Mesos-DNS: the next resolver is the retry.
      return options.transport === 'tcp'
        ? await exchangeTcp(message, upstream, { timeoutMs: options.timeoutMs })
        : await exchangeUdp(message, upstream, { timeoutMs: options.timeoutMs, retries: 0 });
    } catch (error) {
      options.onError?.(resolver, error as Error);
    }
  }
  return undefined;
}
