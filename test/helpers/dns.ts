import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

import { BIN } from './cli.js';

const execFileAsync = promisify(execFile);

export interface ServedDns {
  child: ChildProcess;
  dns: { address: string; port: number };
  http: { address: string; port: number } | null;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Starts the built `dcos dns serve --json` on free loopback ports (DNS and HTTP) and resolves with its
 * summary once it is listening. The caller stops it (SIGTERM) when done.
 */
export async function startDnsServe(
  args: string[],
  env: Record<string, string>,
  options: { listenFlags?: boolean } = {},
): Promise<ServedDns> {
  // Without the listen flags the server's own default must be loopback (tests check it does).
  const listen = options.listenFlags === false ? [] : ['--listen', '127.0.0.1', '--http-listen', '127.0.0.1'];
  const child = spawn(
    process.execPath,
    [BIN, 'dns', 'serve', ...listen, '--port', '0', '--http-port', '0', '--json', ...args],
    { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const summary = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dns serve did not start: ${stderr}`)), 15_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // The --json summary spans several lines: it is complete once it parses.
      try {
        JSON.parse(stdout);
      } catch {
        return;
      }
      clearTimeout(timer);
      resolve(stdout);
    });
    child.on('close', () => reject(new Error(`dns serve exited: ${stderr}`)));
  });
  const { dns, http } = JSON.parse(summary) as Pick<ServedDns, 'dns' | 'http'>;
  return { child, dns, http, stderr: () => stderr, exit };
}

/** Real `dig` against a served port (one try, 3 s), returning its text output. */
export async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+tries=1',
    '+time=3',
    ...args,
  ]);
  return stdout;
}

/** The rows of one of dig's sections (`ANSWER`, `AUTHORITY`, ...), whitespace collapsed. */
export function digSection(output: string, name: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`;; ${name} SECTION:`));
  if (start < 0) return [];
  const rows: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.startsWith(';;')) break;
    rows.push(line.split(/\s+/).join(' '));
  }
  return rows;
}

export const digStatus = (output: string) => /status: (\w+)/.exec(output)?.[1];
export const digFlags = (output: string) => /;; flags: ([^;]*);/.exec(output)?.[1]?.trim();

/** A Mesos state (JSON text) with one running app (`big`) of `instances` tasks on one agent, each with its own IP and port. */
export function bigAppState(instances: number, app = 'big'): string {
  const tasks = Array.from({ length: instances }, (_, i) => ({
    id: `${app}.${i}`,
    name: app,
    slave_id: 'agent-S0',
    state: 'TASK_RUNNING',
    resources: { ports: `[${31000 + i}-${31000 + i}]` },
    statuses: [
      {
        state: 'TASK_RUNNING',
        timestamp: 1,
        container_status: {
          network_infos: [{ ip_addresses: [{ ip_address: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}` }] }],
        },
      },
    ],
  }));
  return JSON.stringify({
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'agent-S0', hostname: 'agent0', pid: 'slave(1)@127.0.0.2:5051' }],
    frameworks: [{ name: 'marathon', pid: 'scheduler(1)@127.0.0.3:25501', hostname: 'm', tasks }],
  });
}
