// A kernel's interface, declared once: its uniform fields (name and type, in order) and its
// storage bindings (name, element type, access). From the declaration come the WGSL header (the
// `struct U` laid out by WGSL's alignment rules and the `@binding` lines, in declaration order), the
// uniform packer, and what the engine checks a launch's named tensors against (docs/engine.md,
// "Declaring a kernel"). Kernels never import the engine: a launch carries the declaration and the
// uniform values, and the engine binds by name.

/** Access of one storage binding, in binding order (binding 0 is always the uniform block). */
export type Access = 'read' | 'write' | 'read_write';

export interface KernelSpec {
  /** Unique cache key: family + variant + dtype + tile configuration. Shapes never go here. */
  readonly name: string;
  readonly wgsl: string;
  readonly bindings: readonly Access[];
  /** The declared interface: launches bind tensors by name, checked against it. */
  readonly signature: Signature;
}

/** `B`: the names of the kernel's storage bindings, which a launch is bound by. */
export interface Launch<B extends string = string> {
  readonly spec: KernelSpec;
  /** Packed uniform block (u32/i32/f32 words), written to the dispatch's own uniform slot. */
  readonly uniforms: ArrayBuffer;
  readonly workgroups: readonly [number, number, number];
  /** The uniform values by field name, for the engine's size checks. */
  readonly values: Readonly<Record<string, number | readonly number[]>>;
  /** Type-level only: ties the launch to its binding names. */
  readonly bindingNames?: B;
}

export type Scalar = 'u32' | 'i32' | 'f32';
/** Uniform field types: scalars, vectors of them, arrays of vec4 (laid out at WGSL's uniform alignment). */
export type UniformType = Scalar | `vec${2 | 3 | 4}<${Scalar}>` | `array<vec4<${Scalar}>, ${number}>`;
/** Element types of a storage binding. vec4<f32> binds an f32 tensor read four at a time. */
export type Element = Scalar | 'vec4<f32>' | 'atomic<u32>' | 'atomic<i32>';

/** Uniform values by field name: a number for a scalar field, an array for a vector field. */
export type UniformValues<F extends Record<string, UniformType>> = { readonly [K in keyof F]: F[K] extends Scalar ? number : readonly number[] };

export interface BindingDecl<F extends Record<string, UniformType> = Record<string, UniformType>> {
  readonly type: Element;
  /** 'write': an output the kernel only stores to (WGSL spells it read_write). */
  readonly access: Access;
  /**
   * Elements (of the bound tensor's dtype) the kernel may index, from the uniforms, where derivable.
   * Without it the tensor must not be empty, unless `mayBeEmpty` (a table with no rows, which the
   * kernel reads only under counts that are then zero).
   */
  len?(u: UniformValues<F>): number;
  readonly mayBeEmpty?: boolean;
}

export type Bindings<F extends Record<string, UniformType>> = Record<string, BindingDecl<F>>;

interface Field {
  readonly name: string;
  readonly type: UniformType;
  readonly offset: number;
  readonly lanes: number;
  readonly scalar: Scalar;
}

export interface Signature<F extends Record<string, UniformType> = Record<string, UniformType>, B extends Bindings<F> = Bindings<F>> {
  readonly uniforms: F;
  readonly bindings: B;
  /** The WGSL declarations: `struct U`, its uniform at binding 0, the storage bindings at 1..n. */
  readonly header: string;
  /** Bytes of the packed uniform block (a multiple of 16). */
  readonly size: number;
  /** The uniform block for `values`, every field given once, integer fields integers. */
  pack(values: UniformValues<F>): ArrayBuffer;
}

/** A kernel spec that knows its declaration. */
export interface DeclaredSpec<F extends Record<string, UniformType> = Record<string, UniformType>, B extends Bindings<F> = Bindings<F>> extends KernelSpec {
  readonly signature: Signature<F, B>;
}

// WGSL's uniform-address-space layout: scalars align to 4, vec2 to 8, vec3, vec4 and arrays (of
// vec4 here, so the element stride is 16 as uniform arrays require) to 16.
function shapeOf(t: UniformType): { lanes: number; align: number; scalar: Scalar } {
  const a = /^array<vec4<(u32|i32|f32)>, (\d+)>$/.exec(t);
  if (a) return { lanes: 4 * Number(a[2]), align: 16, scalar: a[1] as Scalar };
  const m = /^vec([234])<(u32|i32|f32)>$/.exec(t);
  if (!m) return { lanes: 1, align: 4, scalar: t as Scalar };
  const lanes = Number(m[1]);
  return { lanes, align: lanes === 2 ? 8 : 16, scalar: m[2] as Scalar };
}

const roundUp = (x: number, a: number): number => Math.ceil(x / a) * a;

function layout(uniforms: Record<string, UniformType>): { fields: Field[]; size: number } {
  const fields: Field[] = [];
  let at = 0;
  for (const [name, type] of Object.entries(uniforms)) {
    const { lanes, align, scalar } = shapeOf(type);
    at = roundUp(at, align);
    fields.push({ name, type, offset: at, lanes, scalar });
    at += lanes * 4;
  }
  // The block is written to a 16-byte-aligned slot and bound whole: round to 16, at least 16.
  return { fields, size: Math.max(16, roundUp(at, 16)) };
}

function checkScalar(kernel: string, field: string, scalar: Scalar, v: unknown): number {
  if (typeof v !== 'number') throw new Error(`kernel "${kernel}": uniform "${field}" must be a number, got ${typeof v}`);
  if (scalar === 'f32') return v;
  const ok = scalar === 'u32' ? v >= 0 && v <= 0xffffffff : v >= -0x80000000 && v <= 0x7fffffff;
  if (!Number.isInteger(v) || !ok) throw new Error(`kernel "${kernel}": uniform "${field}" is ${scalar}, got ${v}`);
  return v;
}

/**
 * Declares a kernel's interface. `name` (a family name, for messages) and the key order of
 * `uniforms` and `bindings` fix the struct's field order and the binding numbers.
 */
export function signature<const F extends Record<string, UniformType>, const B extends Bindings<F>>(name: string, uniforms: F, bindings: B): Signature<F, B> {
  const { fields, size } = layout(uniforms);
  const members = fields.length > 0 ? fields.map((f) => `  ${f.name}: ${f.type},`) : ['  _unused: u32,'];
  const storage = Object.entries(bindings).map(
    ([b, d], i) => `@group(0) @binding(${i + 1}) var<storage, ${d.access === 'read' ? 'read' : 'read_write'}> ${b}: array<${d.type}>;`,
  );
  const header = ['struct U {', ...members, '}', '@group(0) @binding(0) var<uniform> u: U;', ...storage].join('\n');
  return {
    uniforms,
    bindings,
    header,
    size,
    pack(values: UniformValues<F>): ArrayBuffer {
      const given = values as Record<string, unknown>;
      for (const k of Object.keys(given)) if (!(k in uniforms)) throw new Error(`kernel "${name}": no uniform "${k}" (declared: ${fields.map((f) => f.name).join(', ')})`);
      const buf = new ArrayBuffer(size);
      const view = new DataView(buf);
      for (const f of fields) {
        if (!(f.name in given)) throw new Error(`kernel "${name}": uniform "${f.name}" not given`);
        const { lanes, scalar } = f;
        const v = given[f.name];
        if (lanes > 1 && !(Array.isArray(v) && v.length === lanes)) throw new Error(`kernel "${name}": uniform "${f.name}" is ${f.type}, give ${lanes} numbers`);
        for (let i = 0; i < lanes; i++) {
          const x = checkScalar(name, f.name, scalar, lanes === 1 ? v : (v as readonly unknown[])[i]);
          const at = f.offset + 4 * i;
          if (scalar === 'f32') view.setFloat32(at, x, true);
          else if (scalar === 'i32') view.setInt32(at, x, true);
          else view.setUint32(at, x, true);
        }
      }
      return buf;
    },
  };
}

/** A kernel spec from its declaration and its complete WGSL (whose header is `sig.header`). */
export function specOf<F extends Record<string, UniformType>, B extends Bindings<F>>(name: string, sig: Signature<F, B>, wgsl: string): DeclaredSpec<F, B> {
  return { name, signature: sig, bindings: Object.values(sig.bindings).map((d) => d.access), wgsl };
}

const SPECS = new Map<string, DeclaredSpec>();

/**
 * The kernel called `name` (one variant: it keys the pipeline cache, so variants put their
 * parameters into it) with the declared interface and the WGSL body after the header, both made
 * on first use (a variant's declaration may depend on its parameters).
 */
export function declared<F extends Record<string, UniformType>, B extends Bindings<F>>(
  name: string,
  declaration: Signature<F, B> | (() => Signature<F, B>),
  body: () => string,
): DeclaredSpec<F, B> {
  let s = SPECS.get(name) as DeclaredSpec<F, B> | undefined;
  if (!s) {
    const sig = typeof declaration === 'function' ? declaration() : declaration;
    s = specOf(name, sig, `${sig.header}\n${body()}`);
    SPECS.set(name, s);
  }
  return s;
}

/** A launch of a declared kernel: the uniforms packed and kept by name for the engine's checks. */
export function launchOf<F extends Record<string, UniformType>, B extends Bindings<F>>(
  spec: DeclaredSpec<F, B>,
  values: UniformValues<F>,
  workgroups: readonly [number, number, number],
): Launch<Extract<keyof B, string>> {
  return { spec, uniforms: spec.signature.pack(values), workgroups: [...workgroups] as [number, number, number], values };
}

/** The tensor dtype a binding's element type reads. */
export function dtypeOf(e: Element): Scalar {
  if (e === 'vec4<f32>') return 'f32';
  if (e === 'atomic<u32>') return 'u32';
  if (e === 'atomic<i32>') return 'i32';
  return e;
}
