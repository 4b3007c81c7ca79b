import type { Agent, Dispatcher } from 'undici';

export interface UndiciCore {
  Agent: typeof Agent;
  request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}

// Held in variables so TypeScript does not look for declarations of undici's internal files.
const AGENT_MODULE = 'undici/lib/dispatcher/agent.js';
const REQUEST_MODULE = 'undici/lib/api/api-request.js';

let loading: Promise<UndiciCore> | undefined;

/**
 * undici's package entry also loads fetch, WebSocket, caching and mocking (~75 ms on every networked
 * command); the agent and request API we use load in a third of that. They are internal paths, so if a
 * release moves them we fall back to the public entry and only lose the time.
 */
export function loadUndici(): Promise<UndiciCore> {
  loading ??= (async (): Promise<UndiciCore> => {
    try {
      const [agent, api] = (await Promise.all([import(AGENT_MODULE), import(REQUEST_MODULE)])) as [
        { default: typeof Agent },
        {
          default: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
        },
      ];
      if (typeof agent.default !== 'function' || typeof api.default !== 'function') throw new Error('moved');
      return {
        Agent: agent.default,
        request: (dispatcher, options) => api.default.call(dispatcher, options),
      };
    } catch {
      const undici = await import('undici');
      return { Agent: undici.Agent, request: (dispatcher, options) => dispatcher.request(options) };
    }
  })();
  return loading;
}
