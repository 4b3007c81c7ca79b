import { readFileSync } from 'node:fs';

/**
 * Whether a process exists and is not a zombie: a dead process whose parent has not reaped it (common in
 * containers whose init does not reap) still answers kill(pid, 0).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
