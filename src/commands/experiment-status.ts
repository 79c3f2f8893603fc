// `alseg experiment status <grid>`: the grid's runs as its shared record directory shows them now
// (experiments/grid-status.ts), for a person watching workers on a cluster.
import type { Claim, ClaimTimes } from '../experiments/claims.js';
import { dataDir } from '../experiments/experiment.js';
import { gridStatus, type RunStatus } from '../experiments/grid-status.js';
import { formatDuration } from './progress.js';

/** The status of `grid` under `docsDir` as lines of text. */
export function statusLines(grid: string, docsDir: string, times: ClaimTimes, now = Date.now()): string[] {
  const s = gridStatus(grid, docsDir, times, now);
  const of = (state: RunStatus['state']) => s.runs.filter((r) => r.state === state);
  const count = (state: RunStatus['state'], label: string = state) => `${of(state).length} ${label}`;
  const width = Math.max(...s.runs.map((r) => r.name.length));
  const ago = (iso: string) => formatDuration((now - Date.parse(iso)) / 1000);
  const who = (c: Claim) => `${c.host} pid ${c.pid}${c.job ? ` (${c.job})` : ''}`;
  const since = (c: Claim) => `since ${c.start.replace(/\.\d+Z$/, 'Z')} (${ago(c.start)})`;
  const where = (c: Claim) => (c.round !== undefined ? `, round ${c.round}${c.phase ? ` ${c.phase}` : ''}` : '');
  const lines = [`${grid}: ${s.runs.length} runs: ${[count('done'), count('running'), count('stalled'), count('waiting'), count('failed')].join(', ')}  (records in ${dataDir(docsDir, grid)})`];
  if (of('running').length) {
    lines.push('running:');
    for (const r of of('running')) lines.push(`  ${r.name.padEnd(width)}  ${who(r.claim!)} ${since(r.claim!)}${where(r.claim!)}, heartbeat ${ago(r.claim!.heartbeat)} ago`);
  }
  if (of('stalled').length) {
    lines.push(`stalled (no heartbeat for longer than ${formatDuration(times.timeoutMs / 1000)}: the next worker to look takes it over and resumes it from its checkpoints):`);
    for (const r of of('stalled')) lines.push(`  ${r.name.padEnd(width)}  ${who(r.claim!)} ${since(r.claim!)}${where(r.claim!)}, last heartbeat ${ago(r.claim!.heartbeat)} ago`);
  }
  if (of('failed').length) {
    lines.push('failed (a worker started after the failure retries it):');
    for (const r of of('failed')) lines.push(`  ${r.name.padEnd(width)}  ${who(r.claim!)} at ${r.claim!.failed!.at.replace(/\.\d+Z$/, 'Z')}${where(r.claim!)}: ${r.claim!.failed!.error.split('\n')[0]}`);
  }
  if (of('waiting').length) lines.push(`waiting: ${of('waiting').map((r) => r.name).join(', ')}`);
  const open = s.runs.length - of('done').length - of('failed').length;
  if (open === 0) lines.push(of('failed').length ? 'nothing left to run but the failed runs' : 'every run is recorded');
  else if (s.secondsLeft === null) lines.push('time left: unknown until a run of this grid is recorded');
  else {
    const workers = s.workers ? `${s.workers} worker(s) at work` : 'one worker (none at work now)';
    lines.push(`time left: about ${formatDuration(s.secondsLeft)} with ${workers} (mean run ${formatDuration(s.meanRunSeconds!)} over ${s.timedRuns} recorded run(s))`);
  }
  return lines;
}
