import type { Agent, Dispatcher } from 'undici';

export interface UndiciCore {
  Agent: typeof Agent;
  request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}

let loading: Promise<UndiciCore> | undefined;

/**
 * undici's package entry also loads fetch, WebSocket, caching and mocking (~75 ms on every networked
 * command); the agent and request API we use load in a third of that. They are internal paths: the build
 * bundles them, so a release that moves them fails `npm run build` rather than a user's command.
 */
export function loadUndici(): Promise<UndiciCore> {
  loading ??= Promise.all([
    import('undici/lib/dispatcher/agent.js'),
    import('undici/lib/api/api-request.js'),
  ]).then(([agent, api]) => ({
    Agent: agent.default,
    request: (dispatcher, options) => api.default.call(dispatcher, options),
  }));
  return loading;
}
