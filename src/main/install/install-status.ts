import type { InstallStatus, InstallStepState } from '../../shared/api-install';

// What an install's step states add up to, and which steps have left something behind.

/** Steps that ran and were not undone (what they did on this host stays). Pending and undone steps left nothing. */
export function stepsThatRan(steps: readonly { id: string; state: InstallStepState }[]): string[] {
  return steps.filter((s) => s.state !== 'pending' && s.state !== 'undone').map((s) => s.id);
}

/** planned: nothing ran (or all undone); running; failed; installed: every step done or skipped; partial otherwise. */
export function installStatus(steps: readonly { state: InstallStepState }[]): InstallStatus {
  if (steps.some((s) => s.state === 'running')) return 'running';
  if (steps.some((s) => s.state === 'failed')) return 'failed';
  if (steps.length > 0 && steps.every((s) => s.state === 'done' || s.state === 'skipped')) return 'installed';
  if (steps.every((s) => s.state === 'pending' || s.state === 'undone')) return 'planned';
  return 'partial';
}
