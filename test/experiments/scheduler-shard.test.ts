// `--shard auto`: i/n from a Slurm array task or a Kubernetes indexed Job, and clear errors otherwise.
import { describe, expect, it } from 'vitest';
import { schedulerShard } from '../../src/experiments/scheduler-shard.js';

describe('--shard auto', () => {
  it('reads a Slurm array task: ID - MIN of COUNT, in steps', () => {
    // sbatch --array=0-3
    expect(schedulerShard({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '4' }).shard).toEqual([2, 4]);
    // sbatch --array=5-7, without COUNT (older Slurm): from MIN and MAX
    expect(schedulerShard({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '7' }).shard).toEqual([0, 3]);
    // sbatch --array=10-16:3 (10, 13, 16)
    expect(schedulerShard({ SLURM_ARRAY_TASK_ID: '16', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '16', SLURM_ARRAY_TASK_STEP: '3', SLURM_ARRAY_TASK_COUNT: '3' }).shard).toEqual([2, 3]);
    expect(schedulerShard({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '2' }).source).toMatch(/^Slurm array task 1 \(SLURM_ARRAY_TASK_ID=1, _MIN=0, _STEP=1, _COUNT=2\)$/);
  });

  it('refuses a Slurm array that is a list of indices, or one it cannot count', () => {
    // sbatch --array=1,4,9
    expect(() => schedulerShard({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_COUNT: '3' })).toThrow(/not one of 3 evenly spaced indices; submit the array as a range \(sbatch --array=0-2\)/);
    expect(() => schedulerShard({ SLURM_ARRAY_TASK_ID: '4' })).toThrow(/without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX/);
    expect(() => schedulerShard({ SLURM_ARRAY_TASK_ID: 'x' })).toThrow(/SLURM_ARRAY_TASK_ID=x is not a whole number/);
    expect(() => schedulerShard({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }, 3)).toThrow(/--shards 3 but the Slurm array has 2 tasks/);
  });

  it("reads a Kubernetes completion index with the Job's completions from --shards or ALSEG_SHARDS", () => {
    expect(schedulerShard({ JOB_COMPLETION_INDEX: '3' }, 4)).toEqual({ shard: [3, 4], source: 'JOB_COMPLETION_INDEX=3 of 4 completions' });
    expect(schedulerShard({ JOB_COMPLETION_INDEX: '0', ALSEG_SHARDS: '2' }).shard).toEqual([0, 2]);
    expect(() => schedulerShard({ JOB_COMPLETION_INDEX: '1' })).toThrow(/pass --shards n \(the Job's spec.completions\) or set ALSEG_SHARDS/);
    expect(() => schedulerShard({ JOB_COMPLETION_INDEX: '4' }, 4)).toThrow(/JOB_COMPLETION_INDEX=4 is not below the 4 completions given by --shards/);
  });

  it('says what it expected when no scheduler set an index', () => {
    expect(() => schedulerShard({ PATH: '/usr/bin' })).toThrow(/no scheduler index in the environment: expected SLURM_ARRAY_TASK_ID .* or JOB_COMPLETION_INDEX .*; elsewhere give --shard i\/n/);
  });
});
