// ALSEG_DAWN_FEATURES: Dawn toggles a user may turn on for speed, by name, comma-separated, e.g.
// ALSEG_DAWN_FEATURES=disable_robustness. Dawn's Node binding takes them as
// create(['enable-dawn-features=a,b']). Only toggles on this list pass: each one drops a guarantee
// WebGPU gives every program, and is here because alseg's kernels do not lean on that guarantee
// (the reason beside each). Toggles that change what a wrong program does without a speed reason,
// or that hide errors (skip_validation would lose the GpuError naming the kernel), stay out.

export const DAWN_FEATURES = {
  disable_robustness:
    'Tint stops clamping every storage index and Dawn stops asking Vulkan for robust buffer access; ' +
    "alseg's kernels bound their own indices (each invocation past its range returns early) and their " +
    'reference tests pass with it on both lavapipes (docs/performance.md, "Measuring on Debian 13\'s lavapipe")',
  disable_workgroup_init:
    'Dawn stops zeroing workgroup memory at the start of each workgroup; the one kernel with workgroup ' +
    'memory (confusion, src/kernels/confusion.wgsl.ts) zeroes every cell it reads itself before its barrier',
} as const;

export type DawnFeature = keyof typeof DAWN_FEATURES;

const isDawnFeature = (name: string): name is DawnFeature => Object.hasOwn(DAWN_FEATURES, name);

/** The toggles ALSEG_DAWN_FEATURES asks for, in the order given, once each; throws on any unknown name. */
export function dawnFeatures(env: { ALSEG_DAWN_FEATURES?: string }): DawnFeature[] {
  const v = env.ALSEG_DAWN_FEATURES;
  if (v === undefined || v.trim() === '') return [];
  const names = v.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !isDawnFeature(n));
  if (unknown.length > 0) {
    throw new Error(
      `ALSEG_DAWN_FEATURES=${v}: ${unknown.map((n) => (n === '' ? 'an empty name' : `'${n}'`)).join(', ')} not allowed; ` +
        `alseg passes only ${Object.keys(DAWN_FEATURES).join(', ')} to Dawn (the reasons: src/engine/dawn-features.ts)`,
    );
  }
  return [...new Set(names as DawnFeature[])];
}

/** The argument list for the `webgpu` package's create(). */
export function dawnCreateFlags(features: readonly DawnFeature[]): string[] {
  return features.length > 0 ? [`enable-dawn-features=${features.join(',')}`] : [];
}
