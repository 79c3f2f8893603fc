// A real single-node Slurm cluster for a test, in a temporary folder: Debian's slurm-wlm and munge
// (root only), munged on its own socket with the packaged key, one slurm.conf naming this machine
// (its short host name, CPUs and memory) on ports of its own, slurmctld and slurmd started with
// -f, and everything stopped afterwards. Nothing outside the folder is written or changed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

/** The daemons' pid files under the cluster's folder. */
const DAEMONS = ['slurmctld.pid', 'slurmd.pid', 'munge/munged.pid'];

const PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo'];

/** Why a Slurm test cannot run on this machine, or null when it can. */
export function slurmUnavailable(): string | null {
  if (process.env.ALSEG_NO_SLURM === '1') return 'ALSEG_NO_SLURM=1';
  const missing = PROGRAMS.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (missing.length) return `Slurm is not installed (no ${missing.join(', ')}): as root on Debian, apt-get install slurm-wlm munge (.ci/run does)`;
  if (process.getuid?.() !== 0) return 'the test cluster runs its daemons as root (SlurmUser=root), and this is not root';
  if (!existsSync('/etc/munge/munge.key')) return 'no /etc/munge/munge.key (the munge package makes it)';
  return null;
}

export interface SlurmCluster {
  dir: string;
  /** The environment Slurm's commands need (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm command (sbatch, squeue, ...) against this cluster; returns its stdout. */
  run: (program: string, args: string[], cwd?: string) => string;
  stop: () => void;
  /** The daemons still running (by their pid files): none after stop(). */
  alive: () => string[];
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Starts munged, slurmctld and slurmd; returns once the node is idle (or throws with their logs). */
export function startSlurm(): SlurmCluster {
  const dir = mkdtempSync(join(tmpdir(), 'alseg-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, d), { mode: 0o755 });
  const socket = join(dir, 'munge', 'munge.socket');
  const conf = join(dir, 'slurm.conf');
  const env = { ...process.env, SLURM_CONF: conf };
  const run = (program: string, args: string[], cwd?: string) => execFileSync(program, args, { env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = () => ['munge/munged.log', 'log/slurmctld.log', 'log/slurmd.log'].map((f) => `--- ${f}\n${existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n') : '(none)'}`).join('\n');
  let started = false;
  const stop = () => {
    if (!started) return;
    started = false;
    // scontrol shutdown stops slurmctld and slurmd (and the jobs' steps); then munged.
    spawnSync('scontrol', ['shutdown'], { env, stdio: 'ignore' });
    for (const pidFile of DAEMONS.slice(0, 2)) waitGone(join(dir, pidFile));
    spawnSync('munged', ['--stop', `--socket=${socket}`], { stdio: 'ignore' });
    waitGone(join(dir, DAEMONS[2]));
  };
  const alive = () => DAEMONS.filter((f) => isRunning(join(dir, f)));
  try {
    // --force: the packaged key belongs to the munge user and /tmp may not be world-readable.
    started = true;
    run('munged', ['--force', `--socket=${socket}`, '--key-file=/etc/munge/munge.key', `--log-file=${join(dir, 'munge/munged.log')}`, `--pid-file=${join(dir, 'munge/munged.pid')}`, `--seed-file=${join(dir, 'munge/munged.seed')}`]);
    const host = hostname().split('.')[0];
    // Ports of this test process's own, away from Slurm's defaults (6817/6818) and from other runs.
    const port = 20000 + (process.pid % 5000) * 2;
    writeFileSync(
      conf,
      [
        'ClusterName=alsegtest',
        `SlurmctldHost=${host}(127.0.0.1)`,
        'SlurmUser=root',
        'SlurmdUser=root',
        `SlurmctldPort=${port}`,
        `SlurmdPort=${port + 1}`,
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${socket}`,
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'log/slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'log/slurmd.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'SelectType=select/cons_tres',
        // Cores only: the jobs' --mem is not counted, so both array tasks fit on the one node.
        'SelectTypeParameters=CR_Core',
        'MpiDefault=none',
        'ReturnToService=2',
        `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${Math.max(Math.floor(totalmem() / 2 ** 20) - 1024, 512)} State=UNKNOWN`,
        `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    run('slurmctld', ['-f', conf]);
    run('slurmd', ['-f', conf, '-N', host]);
    const t0 = Date.now();
    while (!/^idle/m.test(spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout ?? '')) {
      if (Date.now() - t0 > 30_000) throw new Error(`the node did not become idle in 30 s:\n${logs()}`);
      sleep(200);
    }
  } catch (e) {
    stop();
    throw new Error(`could not start Slurm in ${dir}: ${(e as Error).message}\n${logs()}`);
  }
  return { dir, env, run, stop, alive };
}

/** Whether the process of a pid file runs (a zombie nobody reaped yet has exited). */
function isRunning(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${readFileSync(pidFile, 'utf8').trim()}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Waits (at most 20 s) until the process of a pid file has exited. */
function waitGone(pidFile: string): void {
  const t0 = Date.now();
  while (isRunning(pidFile) && Date.now() - t0 < 20_000) sleep(100);
}
