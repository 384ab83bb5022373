import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU and memory of a process from Linux procfs, sampled at a fixed period:
 *  - CPU: utime + stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of `getconf CLK_TCK`, all threads
 *    of the process including worker threads) differenced between samples, as % of ONE core (200% = both cores of a
 *    2-core box). Fields are counted after the last ')' so a command name with spaces cannot shift them.
 *  - The main thread's share: the same fields of /proc/<pid>/task/<pid>/stat (the thread whose id is the pid). It
 *    receives every RTP packet and schedules every task, and one thread cannot use more than one core: it caps a
 *    process however many workers it has, so the report shows it apart.
 *  - Memory: VmRSS and Threads from /proc/<pid>/status, and the part of VmRSS backed by files and shared memory
 *    (RssFile + RssShmem: the node binary's code, and the LMDB files the engine keeps under retention), so a soak can
 *    tell anonymous memory (heaps, malloc, stacks) from file pages (clean ones the kernel can drop; shared memory it
 *    can only swap).
 * A sample of a process that has gone away is skipped, not an error.
 */
export interface ProcSample {
  /** Epoch ms. */
  t: number;
  cpuPercent: number;
  /** The main thread alone, same unit (null when its stat could not be read). */
  mainThreadCpuPercent: number | null;
  rssMB: number;
  /** File-backed and shared resident memory, same unit (null when the kernel does not report RssFile). */
  rssFileMB: number | null;
  threads: number;
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100; // the Linux userspace value on every common architecture
    }
  }
  return clkTck;
}

/** CPU ticks (user+system) of `pid` (all its threads), or of its main thread alone; null if it is gone. */
export function readCpuTicks(pid: number, mainThreadOnly = false): number | null {
  try {
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After ')' the fields start at 3 (state): utime is field 14 -> index 11, stime field 15 -> index 12.
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

export function readStatus(pid: number): { rssMB: number; rssFileMB: number | null; threads: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number | null => {
      const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(s);
      return m ? Number(m[1]) : null;
    };
    const mib = (k: number) => Math.round(k / 102.4) / 10;
    const file = kb('RssFile');
    const threads = Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    return {
      rssMB: mib(kb('VmRSS') ?? 0),
      rssFileMB: file === null ? null : mib(file + (kb('RssShmem') ?? 0)),
      threads,
    };
  } catch {
    return null;
  }
}

export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastTicks: number | null = null;
  private lastMainTicks: number | null = null;
  private lastAt = 0;

  constructor(
    readonly pid: number,
    private readonly periodMs = 1000,
  ) {}

  start(): void {
    this.lastTicks = readCpuTicks(this.pid);
    this.lastMainTicks = readCpuTicks(this.pid, true);
    this.lastAt = Date.now();
    this.timer = setInterval(() => this.sample(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The latest sample, if any. */
  get last(): ProcSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Mean CPU % and peak RSS over samples taken in [from, to] (epoch ms). */
  window(from: number, to: number): { cpuPercent: number; peakRssMB: number; samples: number } {
    const s = this.samples.filter((x) => x.t >= from && x.t <= to);
    if (!s.length) return { cpuPercent: 0, peakRssMB: 0, samples: 0 };
    return {
      cpuPercent: Math.round((s.reduce((a, x) => a + x.cpuPercent, 0) / s.length) * 10) / 10,
      peakRssMB: Math.max(...s.map((x) => x.rssMB)),
      samples: s.length,
    };
  }

  private sample(): void {
    const ticks = readCpuTicks(this.pid);
    const mainTicks = readCpuTicks(this.pid, true);
    const st = readStatus(this.pid);
    const now = Date.now();
    if (ticks === null || st === null || this.lastTicks === null) {
      // No baseline yet (the process was not readable at start or last time): this reading becomes it.
      this.lastTicks = ticks;
      this.lastMainTicks = mainTicks;
      this.lastAt = now;
      return;
    }
    const percent = (d: number) => Math.round((d / ticksPerSecond() / ((now - this.lastAt) / 1000)) * 1000) / 10;
    const cpu = percent(ticks - this.lastTicks);
    const main = mainTicks !== null && this.lastMainTicks !== null ? percent(mainTicks - this.lastMainTicks) : null;
    this.lastTicks = ticks;
    this.lastMainTicks = mainTicks;
    this.lastAt = now;
    this.samples.push({
      t: now,
      cpuPercent: cpu,
      mainThreadCpuPercent: main,
      rssMB: st.rssMB,
      rssFileMB: st.rssFileMB,
      threads: st.threads,
    });
  }
}

/**
 * Whole-machine CPU from the first line of /proc/stat (all processes), in % of one core like ProcSampler: on a
 * shared box, machine minus engine minus generator is what other work took from the run.
 */
export class MachineCpuSampler {
  readonly samples: Array<{ t: number; busyPercent: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private last: { busy: number; total: number } | null = null;

  start(periodMs = 1000): void {
    this.last = readMachineTicks();
    this.timer = setInterval(() => {
      const now = readMachineTicks();
      if (now && this.last && now.total > this.last.total) {
        const cores = Math.max(1, cpuCount());
        this.samples.push({
          t: Date.now(),
          busyPercent: Math.round(((now.busy - this.last.busy) / (now.total - this.last.total)) * cores * 1000) / 10,
        });
      }
      this.last = now;
    }, periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  mean(from: number, to: number): number | null {
    const s = this.samples.filter((x) => x.t >= from && x.t <= to);
    return s.length ? Math.round((s.reduce((a, x) => a + x.busyPercent, 0) / s.length) * 10) / 10 : null;
  }
}

function readMachineTicks(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function cpuCount(): number {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l)).length;
  } catch {
    return 1;
  }
}
