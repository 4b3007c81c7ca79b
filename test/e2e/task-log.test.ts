/**
 * `dcos task log` end to end against a `dcos local` daemon (one per file; the tests share its apps): the seed's
 * shell app, a ticker that writes a line to stdout and stderr every half second, --follow until SIGINT and
 * until the task ends, and the errors for unknown and ambiguous tasks. `dcos local` has no logging API v2,
 * so this is the Mesos files API path through `/agent/<id>/files/read`.
 */
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir, type CliOptions, type CliResult } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { fetchWithToken, localToken } from '../helpers/local.js';
import { jsonOf, printed } from './fakes.js';

const dcosDir = tempDcosDir();
/** fetch with the token of the daemon these tests start. */
const api = fetchWithToken(() => localToken(join(dcosDir, 'local')));
const env = { DCOS_DIR: dcosDir };
const SHELL_JSON = join(ROOT, 'examples', 'shell.json');
const TICKER_JSON = join(dcosDir, 'ticker.json');

function dcos(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(args, { env, timeoutMs: 30_000, ...options });
}

interface MarathonTask {
  id: string;
  appId: string;
}

let url: string;

async function marathonTasks(appId: string): Promise<MarathonTask[]> {
  const response = await api(`${url}/service/marathon/v2/tasks`);
  const { tasks } = (await response.json()) as { tasks: MarathonTask[] };
  return tasks.filter((task) => task.appId === appId);
}

/** Lines of a task's stdout as `dcos local` has them (through the CLI, all of them). */
async function stdoutLines(task: string): Promise<string[]> {
  const result = await dcos(['task', 'log', task, '--lines', 'all']);
  expect(result.code, printed(result)).toBe(0);
  return result.stdout.split('\n').filter((line) => line !== '');
}

beforeAll(async () => {
  const start = await runCli(['local', 'start', '--json'], { env });
  expect(start.code, printed(start)).toBe(0);
  url = jsonOf<{ url: string }>(start).url;
  writeFileSync(
    TICKER_JSON,
    JSON.stringify({
      id: 'ticker',
      cmd: 'i=0; while true; do i=$((i+1)); echo "tick $i"; echo "oops $i" >&2; sleep 0.5; done',
      cpus: 0.1,
      mem: 10,
      instances: 2,
    }),
  );
  for (const app of [SHELL_JSON, TICKER_JSON]) {
    const add = await dcos(['marathon', 'app', 'add', app, '--wait']);
    expect(add.code, printed(add)).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await runCli(['local', 'stop'], { env });
  await rm(dcosDir, { recursive: true, force: true });
});

describe('dcos task log against dcos local', () => {
  it('shows the shell app saying Hello Marathon', async () => {
    await until('the shell app to print', async () => (await stdoutLines('shell')).length > 0);
    const result = await dcos(['task', 'log', 'shell']);
    expect(result.code, printed(result)).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((line) => line === 'Hello Marathon')).toBe(true);
    expect(result.stdout.endsWith('\n')).toBe(true);
  });

  it('--lines 3 prints exactly the last three lines', async () => {
    const [task] = await marathonTasks('/ticker');
    await until('the ticker to print 5 lines', async () => (await stdoutLines(task!.id)).length >= 5);
    const result = await dcos(['task', 'log', task!.id, '--lines', '3']);
    expect(result.code, printed(result)).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3);
    const numbers = lines.map((line) => Number(/^tick (\d+)$/.exec(line)?.[1]));
    expect(numbers[1]).toBe(numbers[0]! + 1);
    expect(numbers[2]).toBe(numbers[0]! + 2);
  });

  it('reads stderr (or any sandbox file) when asked', async () => {
    const [task] = await marathonTasks('/ticker');
    const result = await dcos(['task', 'log', task!.id, 'stderr', '--lines', '2']);
    expect(result.code, printed(result)).toBe(0);
    expect(result.stdout).toMatch(/^oops \d+\noops \d+\n$/);
    const missing = await dcos(['task', 'log', task!.id, 'no/such/file']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`Error: task ${task!.id} has no file 'no/such/file' in its sandbox\n`);
  });

  it('--follow prints new lines within 2 s and exits 130 on SIGINT', async () => {
    const [task] = await marathonTasks('/ticker');
    const seen: string[] = [];
    let firstLineAt = 0;
    let newLineAt = 0;
    const startedAt = Date.now();
    const result = await dcos(['task', 'log', task!.id, '--follow', '--lines', '1'], {
      onSpawn: (child) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          seen.push(...chunk.toString().split('\n').filter(Boolean));
          if (seen.length === 1 && !firstLineAt) firstLineAt = Date.now();
          if (seen.length >= 3 && !newLineAt) {
            newLineAt = Date.now();
            child.kill('SIGINT');
          }
        });
        // Bounded: if no new line comes, interrupt anyway so the assertions below fail clearly.
        setTimeout(() => child.kill('SIGINT'), 10_000).unref();
      },
    });
    expect(result.code, printed(result)).toBe(130);
    expect(result.stderr).toBe('Error: interrupted\n');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(newLineAt - firstLineAt).toBeLessThan(2_000);
    expect(newLineAt - startedAt).toBeLessThan(5_000);
    const numbers = seen.slice(0, 3).map((line) => Number(/^tick (\d+)$/.exec(line)?.[1]));
    expect(numbers).toEqual([numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
  });

  it('dcos task log shell --lines 3 prints exactly three Hello Marathon lines', async () => {
    // The shell app says it every 5 s: wait until there are more than three lines to choose from.
    await until(
      'the shell app to print 4 lines',
      async () => (await stdoutLines('shell')).length >= 4,
      25_000,
    );
    const result = await dcos(['task', 'log', 'shell', '--lines', '3']);
    expect(result.code, printed(result)).toBe(0);
    expect(result.stdout).toBe('Hello Marathon\n'.repeat(3));
  }, 30_000);

  it('a task that does not exist is an error naming the closest tasks', async () => {
    const result = await dcos(['task', 'log', 'shel1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Error: no task matches 'shel1'; closest: shell, /);
  });

  it('an ambiguous filter lists the tasks; --all prefixes each line with its task id', async () => {
    const tasks = (await marathonTasks('/ticker')).map((task) => task.id).sort();
    const ambiguous = await dcos(['task', 'log', 'ticker']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(
      `Error: 'ticker' matches 2 tasks: ${tasks.join(', ')}; give one task id, or --all for each of them\n`,
    );

    const all = await dcos(['task', 'log', 'ticker', '--all', '--lines', '2']);
    expect(all.code, printed(all)).toBe(0);
    const lines = all.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    for (const [index, task] of tasks.entries()) {
      for (const line of lines.slice(index * 2, index * 2 + 2)) {
        expect(line).toMatch(new RegExp(`^\\[${task.replace(/[.]/g, '\\.')}\\] tick \\d+$`));
      }
    }
  });

  it('--follow --all ends with exit 0 and a note per task when the tasks end', async () => {
    const tasks = (await marathonTasks('/ticker')).map((task) => task.id);
    let removed = false;
    const result = await dcos(['task', 'log', 'ticker', '--all', '--follow', '--lines', '0'], {
      onSpawn: (child) => {
        child.stdout?.on('data', () => {
          if (removed) return;
          removed = true;
          void dcos(['marathon', 'app', 'remove', 'ticker']);
        });
      },
    });
    expect(result.code, printed(result)).toBe(0);
    for (const task of tasks) {
      expect(result.stderr).toContain(`Task ${task} ended (TASK_KILLED); stopped following.\n`);
    }
  });
});
