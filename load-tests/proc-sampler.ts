import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU and memory of a process from Linux procfs, sampled at a fixed period:
 *  - CPU: utime + stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of `getconf CLK_TCK`, all threads
 *    of the process including worker threads) differenced between samples, as % of ONE core (200% = both cores of a
 *    2-core box). Fields are counted after the last ')' so a command name with spaces cannot shift them.
 *  - Memory: VmRSS and Threads from /proc/<pid>/status.
 * A sample of a process that has gone away is skipped, not an error.
 */
export interface ProcSample {
  /** Epoch ms. */
  t: number;
  cpuPercent: number;
  rssMB: number;
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

/** CPU ticks (user+system) of `pid`, or null if it is gone. */
export function readCpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After ')' the fields start at 3 (state): utime is field 14 -> index 11, stime field 15 -> index 12.
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

export function readStatus(pid: number): { rssMB: number; threads: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(s)?.[1] ?? 0);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    return { rssMB: Math.round(rss / 102.4) / 10, threads };
  } catch {
    return null;
  }
}

export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastTicks: number | null = null;
  private lastAt = 0;

  constructor(readonly pid: number, private readonly periodMs = 1000) {}

  start(): void {
    this.lastTicks = readCpuTicks(this.pid);
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
    const st = readStatus(this.pid);
    const now = Date.now();
    if (ticks === null || st === null || this.lastTicks === null) return;
    const cpu = ((ticks - this.lastTicks) / ticksPerSecond() / ((now - this.lastAt) / 1000)) * 100;
    this.lastTicks = ticks;
    this.lastAt = now;
    this.samples.push({ t: now, cpuPercent: Math.round(cpu * 10) / 10, rssMB: st.rssMB, threads: st.threads });
  }
}
