// A minimal float64 n-d array for the CPU references: the readable spec of each kernel, and the
// ground truth that tests compare the GPU against (and differentiate by finite differences).
export interface Nd {
  data: Float64Array;
  shape: number[];
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function nd(shape: readonly number[], data?: ArrayLike<number>): Nd {
  const n = size(shape);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`nd: ${data.length} values for shape [${shape}]`);
    d.set(Array.from(data));
  }
  return { data: d, shape: [...shape] };
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a}] and [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index into `x` (broadcast to `shape`) of the element at linear position i of `shape`. */
export function broadcastIndex(x: readonly number[], shape: readonly number[], i: number): number {
  let rem = i;
  let idx = 0;
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const c = rem % shape[d];
    rem = Math.floor(rem / shape[d]);
    const xd = d - (shape.length - x.length);
    if (xd >= 0) {
      if (x[xd] !== 1) idx += c * stride;
      stride *= x[xd];
    }
  }
  return idx;
}

/** Sums `g` (of shape `from`) down to `to` along broadcast axes. */
export function sumToRef(g: Nd, to: readonly number[]): Nd {
  const out = nd(to);
  for (let i = 0; i < g.data.length; i++) out.data[broadcastIndex(to, g.shape, i)] += g.data[i];
  return out;
}

export function permuteRef(x: Nd, dims: readonly number[]): Nd {
  const shape = dims.map((d) => x.shape[d]);
  const xs = stridesOf(x.shape);
  const out = nd(shape);
  const n = out.data.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      src += c * xs[dims[d]];
    }
    out.data[i] = x.data[src];
  }
  return out;
}

/** Deterministic pseudo-random values in [lo, hi) (mulberry32), for test inputs. */
export function randomNd(shape: readonly number[], seed: number, lo = -1, hi = 1): Nd {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = lo + (hi - lo) * next();
  return out;
}
