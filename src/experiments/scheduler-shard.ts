// `--shard auto`: a worker's shard i/n from its scheduler's environment, so that one job script
// serves every task of an array. Slurm sets SLURM_ARRAY_TASK_ID with the array's MIN, MAX, STEP and
// COUNT (sbatch(1), "OUTPUT ENVIRONMENT VARIABLES"); a Kubernetes Job with completionMode: Indexed
// sets JOB_COMPLETION_INDEX in each pod, but not the number of completions, which the Job's
// manifest passes as --shards n (or ALSEG_SHARDS).

export interface SchedulerShard {
  shard: [number, number];
  /** Where i and n came from, for the worker's first line. */
  source: string;
}

/** Environment variable a Kubernetes manifest may set instead of passing --shards. */
export const SHARDS_VARIABLE = 'ALSEG_SHARDS';

const whole = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--shard auto: ${name}=${value} is not a whole number`);
  return Number(value);
};

/** The shard of this worker from `env`; `shards` is --shards (Kubernetes' completions). */
export function schedulerShard(env: NodeJS.ProcessEnv, shards?: number): SchedulerShard {
  const id = whole('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID);
  if (id !== undefined) return slurmShard(env, id, shards);
  const index = whole('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX);
  if (index !== undefined) {
    const n = shards ?? whole(SHARDS_VARIABLE, env[SHARDS_VARIABLE]);
    if (n === undefined) throw new Error(`--shard auto: JOB_COMPLETION_INDEX=${index} (a Kubernetes indexed Job) but not how many completions the Job has: pass --shards n (the Job's spec.completions) or set ${SHARDS_VARIABLE}`);
    if (n < 1 || index >= n) throw new Error(`--shard auto: JOB_COMPLETION_INDEX=${index} is not below the ${n} completions given by ${shards !== undefined ? '--shards' : SHARDS_VARIABLE}: they must equal the Job's spec.completions`);
    return { shard: [index, n], source: `JOB_COMPLETION_INDEX=${index} of ${n} completions` };
  }
  throw new Error(
    '--shard auto: no scheduler index in the environment: expected SLURM_ARRAY_TASK_ID (a Slurm job array, sbatch --array=0-N) or JOB_COMPLETION_INDEX (a Kubernetes Job with completionMode: Indexed); elsewhere give --shard i/n',
  );
}

/**
 * Task ID - MIN, counted in STEPs, of COUNT tasks (or (MAX - MIN) / STEP + 1 where COUNT is not
 * set). An array given as a list of indices (--array=1,4,9) has no such numbering: refused.
 */
function slurmShard(env: NodeJS.ProcessEnv, id: number, shards: number | undefined): SchedulerShard {
  const min = whole('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN) ?? 0;
  const max = whole('SLURM_ARRAY_TASK_MAX', env.SLURM_ARRAY_TASK_MAX);
  const step = whole('SLURM_ARRAY_TASK_STEP', env.SLURM_ARRAY_TASK_STEP) ?? 1;
  const count = whole('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT) ?? (max !== undefined && step > 0 ? Math.floor((max - min) / step) + 1 : undefined);
  if (count === undefined) throw new Error(`--shard auto: SLURM_ARRAY_TASK_ID=${id} without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX: cannot tell how many tasks the array has`);
  const vars = `SLURM_ARRAY_TASK_ID=${id}, _MIN=${min}, _STEP=${step}, _COUNT=${count}`;
  const i = (id - min) / Math.max(step, 1);
  if (!Number.isInteger(i) || i < 0 || i >= count) {
    throw new Error(`--shard auto: ${vars}: the task is not one of ${count} evenly spaced indices; submit the array as a range (sbatch --array=0-${count - 1})`);
  }
  if (shards !== undefined && shards !== count) throw new Error(`--shard auto: --shards ${shards} but the Slurm array has ${count} tasks (${vars}); leave --shards out under Slurm`);
  return { shard: [i, count], source: `Slurm array task ${id} (${vars})` };
}
