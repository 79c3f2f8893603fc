// Kernel-variant choice from what the adapter reports, never from what one adapter happened to
// have. The subgroup kernels (matmul-subgroup, conv2d-subgroup) are
// written for exactly 8 lanes: they broadcast from lanes 0-7 and size their tiles to 8. They are
// used only where the adapter has the 'subgroups' feature AND its subgroup size range is exactly
// [8, 8], so every subgroup of every pipeline is 8 lanes wide; a range such as Intel's [8, 32],
// NVIDIA's [32, 32], AMD's [32, 64] or no subgroups at all take the portable kernels.
// ALSEG_PORTABLE=1 forces the portable kernels everywhere (as an adapter without subgroups would
// run), so those paths are tested on any adapter (.ci/run runs the suite once each way).

/** Kernel variants chosen for this adapter (bench/ measures the alternatives). */
export interface Tuning {
  /** 'subgroup8' shares B through subgroup broadcasts; needs 8-lane subgroups (lavapipe/AVX2). */
  matmul: 'portable' | 'subgroup8';
  /** Rows of C per invocation in the subgroup variant. */
  matmulTm: number;
  /** Implicit-GEMM convolution kernel (forward, stride-1 input gradient); same condition as matmul. */
  conv: 'portable' | 'subgroup8';
  /** Whether the 8-lane subgroup kernels may run here at all (false when forced portable). */
  subgroup8: boolean;
  /** Why: the adapter's subgroup feature and size range, and any override. */
  reason: string;
}

/**
 * Whether the 8-lane subgroup kernels may run under `t`: the adapter's subgroups are exactly 8
 * wide and the portable kernels are not forced. The one test of it (ops, tests and benches ask here).
 */
export function hasSubgroup8(t: Pick<Tuning, 'subgroup8'>): boolean {
  return t.subgroup8;
}

/** What the choice reads from the adapter. */
export interface SubgroupCaps {
  /** The adapter has (and the device was created with) the 'subgroups' feature. */
  feature: boolean;
  /** GPUAdapterInfo.subgroupMinSize / subgroupMaxSize (undefined when the adapter does not say). */
  minSize?: number;
  maxSize?: number;
}

/** The environment switches the choice honours. */
export interface VariantEnv {
  ALSEG_PORTABLE?: string;
  ALSEG_MATMUL?: string;
  ALSEG_CONV?: string;
  ALSEG_MATMUL_TM?: string;
}

function subgroupText(c: SubgroupCaps): string {
  if (!c.feature) return "no 'subgroups' feature";
  return `subgroups of ${c.minSize ?? '?'}-${c.maxSize ?? '?'} lanes`;
}

/** True when ALSEG_PORTABLE asks for the portable kernels (any value but '', '0', 'false'). */
export function forcedPortable(env: VariantEnv): boolean {
  const v = env.ALSEG_PORTABLE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function chooseTuning(caps: SubgroupCaps, env: VariantEnv): Tuning {
  const has8 = caps.feature && caps.minSize === 8 && caps.maxSize === 8;
  const portable = forcedPortable(env);
  const subgroup8 = has8 && !portable;
  const why = portable
    ? `ALSEG_PORTABLE is set: portable kernels everywhere (adapter: ${subgroupText(caps)})`
    : has8
      ? `adapter has ${subgroupText(caps)}: the 8-lane subgroup kernels fit`
      : `adapter has ${subgroupText(caps)}: the subgroup kernels are written for exactly 8 lanes, so portable kernels`;
  const pick = (name: 'ALSEG_MATMUL' | 'ALSEG_CONV'): 'portable' | 'subgroup8' => {
    const forced = env[name];
    if (forced === undefined || forced === '') return subgroup8 ? 'subgroup8' : 'portable';
    if (forced !== 'portable' && forced !== 'subgroup8') throw new Error(`${name}=${forced}: expected 'portable' or 'subgroup8'`);
    if (forced === 'subgroup8' && !subgroup8) throw new Error(`${name}=subgroup8 cannot run here: ${why}`);
    return forced;
  };
  const matmul = pick('ALSEG_MATMUL');
  const conv = pick('ALSEG_CONV');
  const overrides = (['ALSEG_MATMUL', 'ALSEG_CONV'] as const).filter((k) => env[k]).map((k) => `${k}=${env[k]}`);
  const reason = overrides.length ? `${why}; ${overrides.join(', ')}` : why;
  return { matmul, matmulTm: Number(env.ALSEG_MATMUL_TM) || 8, conv, subgroup8, reason };
}
