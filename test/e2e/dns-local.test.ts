/**
 * Mesos-DNS names against `dcos local`: apps deployed there resolve, through the live `/master/state`, to
 * their tasks' addresses — from `dns records` and from a `dns serve` queried with real dig.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir } from '../helpers/cli.js';
import { dig, digSection, digStatus, startDnsServe, type ServedDns } from '../helpers/dns.js';
import { jsonOf, printed } from './fakes.js';

const dcosDir = tempDcosDir();
const env = { DCOS_DIR: dcosDir };

interface Task {
  appId: string;
  host: string;
  ports: number[];
}

const dcos = (args: string[], input?: string) =>
  runCli(args, { env, timeoutMs: 30_000, ...(input === undefined ? {} : { input }) });

let tasks: Task[] = [];
let served: ServedDns | undefined;

beforeAll(async () => {
  const start = await dcos(['local', 'start', '--json']);
  expect(start.code, printed(start)).toBe(0);
  const shell = await dcos(['marathon', 'app', 'add', join(ROOT, 'examples', 'shell.json'), '--wait']);
  expect(shell.code, printed(shell)).toBe(0);
  // A Marathon group app: Mesos sees the task name `web.grp`, Mesos-DNS serves `web-grp`.
  const web = JSON.stringify({
    id: '/grp/web',
    cmd: 'sleep 1000',
    cpus: 0.1,
    mem: 16,
    instances: 2,
    portDefinitions: [{ port: 0 }],
  });
  const group = await dcos(['marathon', 'app', 'add', '--wait'], web);
  expect(group.code, printed(group)).toBe(0);
  const list = await dcos(['marathon', 'task', 'list', '--json']);
  expect(list.code, printed(list)).toBe(0);
  tasks = jsonOf<Task[]>(list);
}, 60_000);

afterAll(async () => {
  served?.child.kill('SIGTERM');
  await served?.exit;
  await dcos(['local', 'stop']);
}, 30_000);

const hostsOf = (appId: string) =>
  [...new Set(tasks.filter((task) => task.appId === appId).map((t) => t.host))].sort();

describe('dns against dcos local', () => {
  it("dns records (live state) gives each app its tasks' addresses", async () => {
    const result = await dcos(['dns', 'records', '--json']);
    expect(result.code, printed(result)).toBe(0);
    const axfr = jsonOf<{
      Domain: string;
      Records: { As: Record<string, string[]>; SRVs: Record<string, string[]> };
    }>(result);
    expect(axfr.Domain).toBe('mesos');
    expect(hostsOf('/shell')).toHaveLength(1);
    expect(axfr.Records.As['shell.marathon.mesos.']).toEqual(hostsOf('/shell'));
    expect([...(axfr.Records.As['web-grp.marathon.mesos.'] ?? [])].sort()).toEqual(hostsOf('/grp/web'));
    expect(axfr.Records.As['leader.mesos.']).toEqual(['127.0.0.1']);
  });

  it('dns serve on the live cluster answers dig with the task address and its port', async () => {
    served = await startDnsServe(['--no-external'], env);
    const a = await dig(served.dns.port, 'shell.marathon.mesos', 'A');
    expect(digStatus(a)).toBe('NOERROR');
    expect(digSection(a, 'ANSWER')).toEqual([`shell.marathon.mesos. 60 IN A ${hostsOf('/shell')[0]}`]);

    const webTasks = tasks.filter((task) => task.appId === '/grp/web');
    const srv = await dig(served.dns.port, '_web-grp._tcp.marathon.mesos', 'SRV');
    const ports = digSection(srv, 'ANSWER').map((row) => Number(row.split(' ')[6]));
    expect(ports.sort()).toEqual(webTasks.map((task) => task.ports[0]).sort());

    const missing = await dig(served.dns.port, 'nothing.marathon.mesos', 'A');
    expect(digStatus(missing)).toBe('NXDOMAIN');
  });
});
