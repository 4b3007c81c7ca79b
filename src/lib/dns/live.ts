import { open, readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';

import { UsageError, type DcosError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { splitHostPort } from './config.js';
import { canonicalIp, mesosState } from './state.js';

/** A state of 100 000 tasks is about 50 MB; beyond this a file is surely not a Mesos state. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;

/** The attached cluster's Mesos state (`<mesos url>/master/state`; Mesos 1.8 dropped `state.json`). */
export async function fetchLiveState(
  http: HttpClient,
  mesosUrl: string,
  signal?: AbortSignal,
): Promise<unknown> {
  return http.get<unknown>(`${mesosUrl.replace(/\/+$/, '')}/master/state`, {
    service: 'the Mesos master',
    ...(signal ? { signal } : {}),
  });
}

/** A saved `/master/state` from a file, or stdin for `-`; not-JSON and oversized input are usage errors. */
export async function readStateFile(
  path: string,
  options: { stdin?: NodeJS.ReadableStream; maxBytes?: number } = {},
): Promise<unknown> {
  const maxBytes = options.maxBytes ?? MAX_STATE_BYTES;
  const where = path === '-' ? 'stdin' : path;
  const text =
    path === '-'
      ? await readStream(options.stdin ?? process.stdin, maxBytes)
      : await readCapped(path, maxBytes);
  if (text === undefined) {
    throw new UsageError(`${where}: the state is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`, {
      code: 'invalid_state',
    });
  }
  if (text.trim() === '') throw new UsageError(`${where}: the state is empty`, { code: 'invalid_state' });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message})`, { code: 'invalid_state' });
  }
}

/** A text file for the DNS commands (config.json), with a readable error when it cannot be read. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw fileError(path, what, error);
  }
}

function fileError(path: string, what: string, error: unknown): DcosError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : (error as Error).message;
  return new UsageError(`cannot read ${what} ${path}: ${reason}`, { code: 'file_unreadable' });
}

async function readCapped(path: string, maxBytes: number): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    if (size > maxBytes) return undefined;
    return await handle.readFile('utf8');
  } catch (error) {
    throw fileError(path, 'state file', error);
  } finally {
    await handle?.close();
  }
}

async function readStream(stream: NodeJS.ReadableStream, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > maxBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Host names in the state that Mesos-DNS would look up (pid hosts that are not IPs, framework hostnames
 * without a pid, the leader and master hosts), resolved with the system resolver. Names that fail are left
 * out; the generator then skips their entity with a warning.
 */
export async function resolveStateHostnames(
  state: unknown,
  masters: readonly string[] = [],
): Promise<Map<string, string[]>> {
  const parsed = mesosState(state);
  const names = new Set<string>();
  const consider = (host: string | undefined) => {
    if (host && canonicalIp(host) === undefined) names.add(host);
  };
  for (const agent of parsed.agents) consider(agent.pid.host);
  for (const framework of parsed.frameworks) {
    if (!framework.badPid) consider(framework.pid ? framework.pid.host : framework.hostname);
  }
  const leader = parsed.leader.split('@')[1];
  if (leader) consider(splitHostPort(leader)?.host);
  for (const master of masters) consider(splitHostPort(master)?.host);
  const hosts = new Map<string, string[]>();
  await Promise.all(
    [...names].map(async (name) => {
      try {
        const addresses = await lookup(name, { all: true });
        hosts.set(
          name,
          addresses.map((address) => address.address),
        );
      } catch {
        // Left out on purpose: the generator reports the entity it had to skip.
      }
    }),
  );
  return hosts;
}

/** What `Listener: 0.0.0.0` stands for: every non-loopback interface address. */
export function localInterfaceAddresses(): string[] {
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) {
      if (!address.internal && !address.address.includes('%')) addresses.push(address.address);
    }
  }
  return addresses;
}
