// Training checkpoints in safetensors: model parameters and BN running statistics (`model.<name>`),
// optimiser state (`optim.<param name>.<slot>`: exp_avg / exp_avg_sq for AdamW, momentum_buffer
// for SGD), and in __metadata__ the config (JSON), round, iteration, optimiser kind, step count,
// schedule factor and the dropout stream's position. Written atomically (writeSafetensors), with a
// SHA-256 of every tensor's name and bytes in the metadata so that a file damaged anyway (a disk
// that filled, a copy cut short, a write that bypassed the rename) is recognised; the checkpoint
// it replaces is kept beside it until the next save (`previousCheckpoint`), so a damaged one falls
// back to the one before (`loadLatestCheckpoint`). Loading validates every name, shape and dtype
// before it writes anything, and names the wrong tensor.
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { read } from '../engine/io.js';
import type { DropoutRng } from '../engine/ops/dropout.js';
import { AdamW, SGD, type Optimizer } from '../engine/optim.js';
import { readSafetensors, writeSafetensors, type SafeTensorsFile, type TensorData } from '../engine/safetensors.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from './module.js';
import { writeInto } from './module.js';

export const CHECKPOINT_FORMAT = 'alseg-checkpoint/1';

export interface CheckpointContents {
  model: Module;
  optimizer?: Optimizer | null;
  /** JSON-serialisable configuration (model + training) needed to rebuild the run. */
  config?: unknown;
  round?: number;
  iteration?: number;
  /** Free-form string metadata. */
  extra?: Record<string, string>;
}

export interface CheckpointInfo {
  config: unknown;
  round: number;
  iteration: number;
  optimizer: string | null;
  optimizerSteps: number;
  extra: Record<string, string>;
  metadata: Record<string, string>;
}

interface WithDropout {
  dropoutRng: DropoutRng;
}
function hasDropout(m: Module): m is Module & WithDropout {
  const r = (m as Partial<WithDropout>).dropoutRng;
  return typeof r?.seed === 'number' && typeof r.position === 'number';
}

function optimizerKind(o: Optimizer): { kind: string; slots: string[] } {
  if (o instanceof AdamW) return { kind: 'AdamW', slots: ['exp_avg', 'exp_avg_sq'] };
  if (o instanceof SGD) return { kind: 'SGD', slots: ['momentum_buffer'] };
  return { kind: o.constructor.name, slots: [] };
}

/** [checkpoint name, tensor] for everything a checkpoint of (model, optimizer) holds. */
function checkpointTensors(model: Module, optimizer: Optimizer | null | undefined): [string, Tensor][] {
  const out: [string, Tensor][] = model.namedState().map(([n, t]) => [`model.${n}`, t]);
  if (optimizer) {
    const names = new Map<Tensor, string>(model.namedParameters().map(([n, t]) => [t, n]));
    const { slots } = optimizerKind(optimizer);
    for (const { param, slots: state } of optimizer.stateTensors()) {
      const name = names.get(param);
      if (!name) throw new Error(`checkpoint: the optimiser holds a tensor ${param} that is not a parameter of the model`);
      state.forEach((t, i) => out.push([`optim.${name}.${slots[i] ?? i}`, t]));
    }
  }
  return out;
}

/** Where the checkpoint that `path` replaced is kept until the next save. */
export function previousCheckpoint(path: string): string {
  return `${path.replace(/\.safetensors$/, '')}.prev.safetensors`;
}

/** SHA-256 over every tensor's name and bytes, in name order. */
function checksumOf(tensors: Iterable<[string, Uint8Array]>): string {
  const hash = createHash('sha256');
  for (const [name, bytes] of [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hash.update(name);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

export async function saveCheckpoint(path: string, c: CheckpointContents, options: { keepPrevious?: boolean } = {}): Promise<void> {
  const tensors = new Map<string, TensorData>();
  for (const [name, t] of checkpointTensors(c.model, c.optimizer)) {
    const data = await read(t);
    tensors.set(name, { data, shape: t.shape });
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    checksum: checksumOf([...tensors].map(([n, t]) => [n, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)])),
    config: JSON.stringify(c.config ?? null),
    round: String(c.round ?? 0),
    iteration: String(c.iteration ?? 0),
  };
  if (c.optimizer) {
    metadata.optimizer = optimizerKind(c.optimizer).kind;
    metadata['optimizer.steps'] = String(c.optimizer.steps);
    metadata['optimizer.lrFactor'] = String(c.optimizer.lrFactor);
  }
  if (hasDropout(c.model)) metadata['rng.dropout'] = JSON.stringify(c.model.dropoutRng);
  for (const [k, v] of Object.entries(c.extra ?? {})) metadata[`extra.${k}`] = v;
  // The last good checkpoint steps aside first: killed between the two renames, the run still
  // finds it (as the previous one).
  const previous = previousCheckpoint(path);
  if (options.keepPrevious && existsSync(path)) renameSync(path, previous);
  await writeSafetensors(path, tensors, metadata);
  if (!options.keepPrevious) rmSync(previous, { force: true });
}

function infoOf(file: SafeTensorsFile, path: string): CheckpointInfo {
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${path} is not an alseg checkpoint (metadata format is ${JSON.stringify(m.format ?? null)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  let config: unknown;
  try {
    config = JSON.parse(m.config ?? 'null');
  } catch {
    throw new Error(`${path}: the checkpoint's config metadata is not valid JSON`);
  }
  if (m.checksum !== undefined && checksumOf([...file.tensors].map(([n, t]) => [n, t.bytes])) !== m.checksum) {
    throw new Error(`${path}: the tensors do not match the checkpoint's checksum (the file is damaged)`);
  }
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (k.startsWith('extra.')) extra[k.slice(6)] = v;
  return {
    config,
    round: Number(m.round ?? 0),
    iteration: Number(m.iteration ?? 0),
    optimizer: m.optimizer ?? null,
    optimizerSteps: Number(m['optimizer.steps'] ?? 0),
    extra,
    metadata: m,
  };
}

/** The metadata of a checkpoint (config, round, iteration) without touching any model. */
export async function readCheckpointInfo(path: string): Promise<CheckpointInfo> {
  return infoOf(await readSafetensors(path), path);
}

export interface LoadOptions {
  model: Module;
  /** Restores the optimiser state too (the checkpoint must hold one of the same kind). */
  optimizer?: Optimizer | null;
  /** Refuse model tensors in the file that the model does not have (default true). */
  strict?: boolean;
}

/**
 * Loads a checkpoint into an existing model (and optimiser) in place. Everything is validated
 * first: on any mismatch nothing is written and the error names the tensor.
 */
export async function loadCheckpoint(path: string, options: LoadOptions): Promise<CheckpointInfo> {
  const file = await readSafetensors(path);
  const info = infoOf(file, path);
  const { model, optimizer } = options;
  if (optimizer) {
    const { kind } = optimizerKind(optimizer);
    if (info.optimizer === null) throw new Error(`${path}: the checkpoint holds no optimiser state, but a ${kind} was given to restore`);
    if (info.optimizer !== kind) throw new Error(`${path}: the checkpoint's optimiser is ${info.optimizer}, the run uses ${kind}`);
  }
  const expected = checkpointTensors(model, optimizer);
  const plan: [Tensor, Float32Array | Int32Array | Uint32Array][] = [];
  for (const [name, t] of expected) {
    const s = file.tensors.get(name);
    if (!s) throw new Error(`${path}: tensor "${name}" is missing from the checkpoint (written for a different model configuration?)`);
    const wantDtype = t.dtype.toUpperCase();
    if (s.dtype !== wantDtype) throw new Error(`${path}: tensor "${name}" is ${s.dtype} in the checkpoint, the model expects ${wantDtype}`);
    if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(`${path}: tensor "${name}" has shape [${s.shape.join(', ')}] in the checkpoint, the model expects [${t.shape.join(', ')}]`);
    }
    const copy = s.bytes.slice().buffer;
    plan.push([t, t.dtype === 'f32' ? new Float32Array(copy) : t.dtype === 'i32' ? new Int32Array(copy) : new Uint32Array(copy)]);
  }
  if (options.strict ?? true) {
    const known = new Set(expected.map(([n]) => n));
    for (const name of file.tensors.keys()) {
      if (name.startsWith('model.') && !known.has(name)) throw new Error(`${path}: the checkpoint has a tensor "${name}" that the model does not`);
    }
  }
  for (const [t, data] of plan) writeInto(t, data);
  if (optimizer) {
    optimizer.setSteps(info.optimizerSteps);
    const f = Number(info.metadata['optimizer.lrFactor']);
    if (Number.isFinite(f)) optimizer.lrFactor = f;
  }
  const rng = info.metadata['rng.dropout'];
  if (hasDropout(model) && rng) {
    const r = JSON.parse(rng) as Partial<DropoutRng>;
    if (typeof r.seed === 'number' && typeof r.position === 'number') Object.assign(model.dropoutRng, { seed: r.seed, position: r.position });
  }
  return info;
}

/**
 * Loads `path`, or when it is missing or damaged the checkpoint it replaced. A checkpoint `accept`
 * refuses (e.g. one of another round) counts as absent. Each damaged file is reported through
 * `onProblem` with what is wrong; returns null when neither file is usable.
 */
export async function loadLatestCheckpoint(
  path: string,
  options: LoadOptions,
  accept: (info: CheckpointInfo) => boolean = () => true,
  onProblem: (message: string) => void = () => undefined,
): Promise<{ info: CheckpointInfo; file: string } | null> {
  const damaged: string[] = [];
  for (const file of [path, previousCheckpoint(path)]) {
    if (!existsSync(file)) continue;
    try {
      const info = await readCheckpointInfo(file);
      if (!accept(info)) continue;
      await loadCheckpoint(file, options);
      if (damaged.length) onProblem(`${damaged.join('; ')}: resuming from the previous checkpoint ${file} (iteration ${info.iteration})`);
      return { info, file };
    } catch (e) {
      damaged.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (damaged.length) onProblem(`${damaged.join('; ')}: no usable earlier checkpoint, so this stage starts again from its first iteration`);
  return null;
}
