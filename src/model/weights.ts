// Import of ImageNet-pretrained ResNet weights from a safetensors file (docs/weights.md says how to
// make one from a PyTorch checkpoint). Accepted naming schemes, detected from the names:
//   - torchvision: conv1.weight (7x7), bn1.*, layer1.0.conv1.weight, ..., downsample.0/1, fc.*
//     -> a backbone built with stem: 'standard';
//   - deep stem as PyTorch-Encoding / timm resnet*d: conv1.0 conv1.1 conv1.3 conv1.4 conv1.6, bn1
//     (alseg's own names for the deep stem) -> stem: 'deep';
//   - deep stem as mmseg ResNetV1c: stem.0 stem.1 stem.3 stem.4 stem.6 stem.7 -> stem: 'deep';
//   - deep stem as CSAIL semantic-segmentation-pytorch resnet*-deepbase: conv1 bn1 conv2 bn2
//     conv3 bn3 -> stem: 'deep'.
// Leading "module." / "backbone." prefixes are stripped. Conv weights are OIHW in PyTorch and
// become HWIO here (permute 2, 3, 1, 0). fc.*, num_batches_tracked and other extra tensors are
// ignored and listed. F16 / BF16 / F64 files are converted to float32.
import { readSafetensors, toFloat32, type SafeTensor, type SafeTensorsFile } from '../engine/safetensors.js';
import type { Tensor } from '../engine/tensor.js';
import { writeInto } from './module.js';
import type { ResNet } from './resnet.js';

export type WeightScheme = 'torchvision' | 'deep-stem' | 'mmseg' | 'csail';

export interface ImportReport {
  scheme: WeightScheme;
  /** alseg names written. */
  loaded: string[];
  /** File names not used (fc, num_batches_tracked, ...). */
  ignored: string[];
  /** alseg names left at their current values (only with allowMissing). */
  missing: string[];
}

const MMSEG_STEM: Record<string, string> = { 'stem.0': 'conv1.0', 'stem.1': 'conv1.1', 'stem.3': 'conv1.3', 'stem.4': 'conv1.4', 'stem.6': 'conv1.6', 'stem.7': 'bn1' };
const CSAIL_STEM: Record<string, string> = { conv1: 'conv1.0', bn1: 'conv1.1', conv2: 'conv1.3', bn2: 'conv1.4', conv3: 'conv1.6', bn3: 'bn1' };

function stripPrefix(name: string): string {
  let n = name;
  for (;;) {
    const m = /^(module|backbone)\./.exec(n);
    if (!m) return n;
    n = n.slice(m[0].length);
  }
}

function detect(names: readonly string[]): WeightScheme {
  const has = (n: string) => names.includes(n);
  if (names.some((n) => n.startsWith('stem.'))) return 'mmseg';
  if (has('conv1.0.weight')) return 'deep-stem';
  if (has('conv3.weight') && has('bn3.weight')) return 'csail';
  return 'torchvision';
}

/** Source name -> alseg name under a scheme. */
function rename(name: string, scheme: WeightScheme): string {
  const table = scheme === 'mmseg' ? MMSEG_STEM : scheme === 'csail' ? CSAIL_STEM : null;
  if (!table) return name;
  const dot = name.lastIndexOf('.');
  const mod = name.slice(0, dot);
  return mod in table ? `${table[mod]}${name.slice(dot)}` : name;
}

/** OIHW [O, I, kh, kw] -> HWIO [kh, kw, I, O]. */
export function oihwToHwio(src: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const [o, i, kh, kw] = shape;
  const out = new Float32Array(src.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    out[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x];
  }
  return { data: out, shape: [kh, kw, i, o] };
}

/** HWIO -> OIHW (to write PyTorch-layout files, e.g. in tests). */
export function hwioToOihw(src: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const [kh, kw, i, o] = shape;
  const out = new Float32Array(src.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    out[((a * i + b) * kh + y) * kw + x] = src[((y * kw + x) * i + b) * o + a];
  }
  return { data: out, shape: [o, i, kh, kw] };
}

export interface ImportOptions {
  /** Leave backbone tensors the file lacks at their current (random) values instead of failing. */
  allowMissing?: boolean;
}

/** Writes the file's ResNet weights into `backbone` (validated first; nothing is written on error). */
export function importResNetWeightsFrom(backbone: ResNet, file: SafeTensorsFile, source: string, options: ImportOptions = {}): ImportReport {
  const stripped = new Map<string, [string, SafeTensor]>();
  for (const [n, t] of file.tensors) stripped.set(stripPrefix(n), [n, t]);
  const scheme = detect([...stripped.keys()]);
  // alseg name -> (name in the file, tensor)
  const byTarget = new Map<string, [string, SafeTensor]>();
  const ignored: string[] = [];
  for (const [n, [orig, t]] of stripped) {
    if (n.endsWith('num_batches_tracked') || n.startsWith('fc.')) {
      ignored.push(orig);
      continue;
    }
    byTarget.set(rename(n, scheme), [orig, t]);
  }
  const stem = backbone.config.stem;
  const fileStem = scheme === 'torchvision' ? 'standard' : 'deep';
  if (stem !== fileStem && (byTarget.has('conv1.weight') || byTarget.has('conv1.0.weight'))) {
    throw new Error(
      `${source}: the file has ${fileStem === 'standard' ? "torchvision's 7x7 stem" : 'a deep (3x3 x3) stem'} (${scheme} names) but the backbone was built with stem: '${stem}'; build it with stem: '${fileStem}'`,
    );
  }
  const plan: [Tensor, Float32Array][] = [];
  const loaded: string[] = [];
  const missing: string[] = [];
  const used = new Set<string>();
  for (const [name, t] of backbone.namedState()) {
    const hit = byTarget.get(name);
    if (!hit) {
      missing.push(name);
      continue;
    }
    const [srcName, s] = hit;
    used.add(name);
    let data = toFloat32(s);
    let shape = s.shape;
    if (s.shape.length === 4) ({ data, shape } = oihwToHwio(data, s.shape));
    if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
      const pt = t.shape.length === 4 ? [t.shape[3], t.shape[2], t.shape[0], t.shape[1]] : t.shape;
      throw new Error(
        `${source}: "${srcName}" is [${s.shape.join(', ')}] but backbone "${name}" needs [${pt.join(', ')}]${t.shape.length === 4 ? ' (PyTorch OIHW)' : ''}: a different depth or width?`,
      );
    }
    plan.push([t, data]);
    loaded.push(name);
  }
  if (missing.length && !options.allowMissing) {
    const head = missing.slice(0, 5).map((n) => `"${n}"`).join(', ');
    throw new Error(`${source}: ${missing.length} backbone tensors are missing from the file (${scheme} names), e.g. ${head}`);
  }
  for (const [n] of byTarget) if (!used.has(n)) ignored.push(byTarget.get(n)![0]);
  for (const [t, data] of plan) writeInto(t, data);
  return { scheme, loaded, ignored, missing };
}

/** Reads `path` (safetensors) and imports its ResNet weights into `backbone`. */
export async function importResNetWeights(backbone: ResNet, path: string, options: ImportOptions = {}): Promise<ImportReport> {
  return importResNetWeightsFrom(backbone, await readSafetensors(path), path, options);
}
