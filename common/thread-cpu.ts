import { readFileSync } from 'node:fs';

/**
 * CPU time of the calling thread, from Linux's /proc/thread-self (read synchronously, so on the thread itself): the
 * scheduler's run time in ns (schedstat) or, where that is not compiled in, user + system clock ticks (stat, USER_HZ
 * 100). Node 20 has no per-thread CPU of its own (process.cpuUsage() is the whole process, event-loop utilisation is
 * wall time and overstates on a starved box). null where neither file exists (not Linux).
 */

let source: 'schedstat' | 'stat' | 'none' | undefined;

function fromSchedstat(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e9;
}

function fromStat(): number {
  const s = readFileSync('/proc/thread-self/stat', 'latin1');
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th field, stime 15th.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Seconds of CPU this thread has used since it started, or null when the platform cannot say. */
export function threadCpuSeconds(): number | null {
  if (source === undefined) {
    for (const [name, read] of [
      ['schedstat', fromSchedstat],
      ['stat', fromStat],
    ] as const) {
      try {
        if (Number.isFinite(read())) {
          source = name;
          break;
        }
      } catch {
        // try the next source
      }
    }
    source ??= 'none';
  }
  try {
    return source === 'schedstat' ? fromSchedstat() : source === 'stat' ? fromStat() : null;
  } catch {
    return null;
  }
}
