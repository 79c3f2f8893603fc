// Tensor = shared GPU storage + shape + strides + offset (in elements). Views (reshape, permute,
// slice) share storage and change only the metadata. Storage is reference counted: the buffer
// goes back to the pool when the last tensor viewing it is disposed. Every new tensor joins the
// innermost `tidy` scope, which disposes what it did not return.
import { DisposedError } from './errors.js';
import { engine } from './runtime.js';

/** Element types. Storage is 4 bytes an element today; f16 storage would add a 2-byte type here. */
export type DType = 'f32' | 'i32' | 'u32';
export type Shape = readonly number[];
export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, i32: 4, u32: 4 };
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function checkShape(shape: Shape, what = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what} [${shape.join(', ')}] has an invalid dimension ${d}`);
  }
}

class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {}
}

let nextId = 1;
let liveTensors = 0;
const scopes: Set<Tensor>[] = [];

export function liveTensorCount(): number {
  return liveTensors;
}

/** A tape node (autograd.ts records them): declared here, below the tape, because every tensor carries one. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /**
   * Gradient of each input given the output's gradient; null where an input needs none. Runs
   * inside `tidy`: whatever else it creates is freed when it returns.
   */
  readonly backward: (grad: Tensor) => readonly (Tensor | null)[];
  /** Activations the backward reads; released once every node that saved them has run. */
  readonly saved: readonly Tensor[];
  /**
   * Tensors made for the backward alone (batch-norm statistics, norms, argmax): the node owns
   * them and disposes them after its backward, or when its output is disposed unrun.
   */
  readonly owned: readonly Tensor[];
}

export class Tensor {
  readonly id = nextId++;
  readonly strides: readonly number[];
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd. */
  node: GradNode | null = null;
  /** Nodes that saved this tensor for their backward and have not run it yet. */
  savedBy = 0;
  /** Kept tensors outlive their scope and are never released by backward. */
  kept = false;
  private disposed = false;
  private readonly storage: Storage;

  private constructor(
    storage: Storage,
    readonly shape: Shape,
    readonly dtype: DType,
    strides?: readonly number[],
    readonly offset = 0,
  ) {
    this.storage = storage;
    this.strides = strides ?? contiguousStrides(shape);
    liveTensors++;
    scopes[scopes.length - 1]?.add(this);
  }

  /** A new tensor with uninitialised contents. */
  static empty(shape: Shape, dtype: DType = 'f32'): Tensor {
    checkShape(shape);
    const bytes = sizeOf(shape) * BYTES_PER_ELEMENT[dtype];
    const buffer = engine().pool.acquire(bytes);
    return new Tensor(new Storage(buffer, bytes), [...shape], dtype);
  }

  static fromArray(data: ArrayLike<number>, shape: Shape, dtype: DType = 'f32'): Tensor {
    checkShape(shape);
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`fromArray: ${data.length} values for shape [${shape.join(', ')}] (${n} elements)`);
    const t = Tensor.empty(shape, dtype);
    const typed =
      dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
    if (n > 0) engine().queue.write(t.buffer, 0, typed);
    return t;
  }

  /** A view on the same storage; the caller guarantees the metadata stays inside it. */
  view(shape: Shape, strides: readonly number[], offset: number): Tensor {
    this.assertLive('view');
    this.storage.refs++;
    return new Tensor(this.storage, [...shape], this.dtype, strides, offset);
  }

  get buffer(): GPUBuffer {
    this.assertLive('use');
    return this.storage.buffer;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** True when the tensor's elements fill its storage in row-major order from `offset`. */
  get isContiguous(): boolean {
    const c = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d === 1 || this.strides[i] === c[i]);
  }
  /** Shares storage with `other` (a view of it, or it of this). */
  sharesStorageWith(other: Tensor): boolean {
    return this.storage === other.storage;
  }

  assertLive(action: string): void {
    if (this.disposed) {
      throw new DisposedError(`cannot ${action} tensor #${this.id} [${this.shape.join(', ')}]: it was disposed`);
    }
  }

  dispose(): void {
    if (this.disposed) {
      throw new DisposedError(`tensor #${this.id} [${this.shape.join(', ')}] was disposed twice`);
    }
    this.disposed = true;
    liveTensors--;
    for (const s of scopes) s.delete(this);
    // A node whose output is gone will never run: what it owned for its backward goes with it.
    const node = this.node;
    this.node = null;
    if (node) for (const t of node.owned) if (!t.isDisposed) t.dispose();
    if (this.grad && !this.grad.disposed) this.grad.dispose();
    this.grad = null;
    if (--this.storage.refs === 0) engine().pool.release(this.storage.buffer);
  }

  /** Marks the tensor to outlive every enclosing `tidy` scope. */
  keep(): this {
    this.kept = true;
    for (const s of scopes) s.delete(this);
    return this;
  }

  toString(): string {
    return `Tensor#${this.id}(${this.dtype}[${this.shape.join(', ')}])`;
  }
}

function collect(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, depth + 1);
}

function endScope(scope: Set<Tensor>, result: unknown): void {
  // Not always the top: async scopes may end out of order.
  scopes.splice(scopes.lastIndexOf(scope), 1);
  const keepers = new Set<Tensor>();
  collect(result, keepers);
  for (const t of scope) {
    if (keepers.has(t) || t.isDisposed) continue;
    t.dispose();
  }
  // What the scope returns belongs to the enclosing scope.
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of keepers) if (scope.has(t) && !t.kept) parent.add(t);
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (in a value, array or
 * plain object) and those marked with `keep()`. Async functions are awaited first.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => {
        endScope(scope, r);
        return r;
      },
      (e) => {
        endScope(scope, undefined);
        throw e;
      },
    ) as T;
  }
  endScope(scope, result);
  return result;
}
