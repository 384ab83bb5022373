import { execSync } from 'node:child_process';

/** Short hash of the checked-out commit, recorded beside measured figures so they can be traced to the code. */
export function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
