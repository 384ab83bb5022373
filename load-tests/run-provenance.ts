import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/**
 * What a load report needs to be read later: the commit that ran and the machine it ran on. Figures from a busy or
 * smaller box, or from a build with uncommitted changes, are then told apart from the report alone.
 */

/** The checkout a run was built from. `dirty`: tracked files differ from the commit (untracked ones are left out). */
export interface RunCommit {
  sha: string;
  dirty: boolean;
}

/**
 * The machine of a run. Load averages are the kernel's 1, 5 and 15 minute figures; `loadAverageEnd` null until the run
 * ends.
 */
export interface RunMachine {
  cores: number;
  model: string;
  totalMemoryMB: number;
  nodeVersion: string;
  loadAverageStart: number[];
  loadAverageEnd: number[] | null;
}

/** HEAD of the git checkout holding `dir`, or null when it is not one (a tarball, no git installed). */
export function runCommit(dir: string): RunCommit | null {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const sha = git('rev-parse', 'HEAD').trim();
    if (!/^[0-9a-f]{40}$/.test(sha)) return null;
    return { sha, dirty: git('status', '--porcelain', '--untracked-files=no').trim() !== '' };
  } catch {
    return null;
  }
}

/** The machine now, with the load average at the run's start. */
export function machineAtStart(): RunMachine {
  const cpu = cpus();
  return {
    cores: cpu.length,
    model: cpu[0]?.model.trim() ?? 'unknown',
    totalMemoryMB: Math.round(totalmem() / 1e6),
    nodeVersion: process.version,
    loadAverageStart: loadAverage(),
    loadAverageEnd: null,
  };
}

/** The same machine with the load average at the run's end. */
export function machineAtEnd(m: RunMachine): RunMachine {
  return { ...m, loadAverageEnd: loadAverage() };
}

/** Two Markdown lines for the report's head. */
export function provenanceMarkdown(commit: RunCommit | null, machine: RunMachine): string[] {
  const c = commit
    ? `Commit: \`${commit.sha}\`${commit.dirty ? ' with uncommitted changes' : ''}.`
    : 'Commit: not a git checkout.';
  const end = machine.loadAverageEnd ? machine.loadAverageEnd.join(' / ') : 'n/a';
  return [
    c,
    `Machine: ${machine.cores} × ${machine.model}, ${machine.totalMemoryMB} MB, Node ${machine.nodeVersion}; ` +
      `load average (1 / 5 / 15 min) ${machine.loadAverageStart.join(' / ')} at the start, ${end} at the end.`,
  ];
}

function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
