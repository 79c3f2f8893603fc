// One adapter, one device. We ask Dawn for the adapter's own maxima of the limits that bound tensor
// sizes and tiles, and we surface every GPU-side error as a GpuError that names the kernel.
import { create, globals } from 'webgpu';
import { dawnCreateFlags, dawnFeatures, type DawnFeature } from './dawn-features.js';
import { DAWN_LIMIT_CLAMP, filteringNativeStderr } from './native-stderr.js';
import { installPolitePolling } from './polling.js';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
  isSoftware: boolean;
}

/** The limits alseg raises above WebGPU's defaults, to the adapter's maximum. */
export const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;
export type RequestedLimit = (typeof REQUESTED_LIMITS)[number];

/** Optional features alseg uses when the adapter has them. */
export const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups'];

export interface OpenedDevice {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: AdapterSummary;
  limits: Record<RequestedLimit, number>;
  features: string[];
  /** The Dawn toggles turned on by ALSEG_DAWN_FEATURES (src/engine/dawn-features.ts); usually none. */
  dawnFeatures: DawnFeature[];
}

function backendName(): string {
  // Dawn picks the platform's native backend; its AdapterInfo does not report it.
  if (process.platform === 'darwin') return 'Metal';
  if (process.platform === 'win32') return 'D3D12';
  return 'Vulkan';
}

export function summarise(info: GPUAdapterInfo): AdapterSummary {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const isSoftware =
    info.isFallbackAdapter ||
    /llvmpipe|lavapipe|swiftshader|software|warp/.test(text) ||
    info.architecture === 'software';
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    backend: backendName(),
    isSoftware,
  };
}

export async function openDevice(): Promise<OpenedDevice> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  // Both read before Dawn starts, so a wrong value stops the command before it does anything.
  const toggles = dawnFeatures(process.env);
  const cap = bindingCap(process.env);
  Object.assign(globalThis, globals);
  installPolitePolling();
  const gpu = create(dawnCreateFlags(toggles)) as GPU;
  const adapter = await filteringNativeStderr(DAWN_LIMIT_CLAMP, () => gpu.requestAdapter({ powerPreference: 'high-performance' }));
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter found: run `bash scripts/setup.sh` (it installs Mesa lavapipe on Debian 12) or install your GPU\'s Vulkan driver',
    );
  }
  const requested = {} as Record<RequestedLimit, number>;
  for (const name of REQUESTED_LIMITS) requested[name] = adapter.limits[name];
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits: requested, requiredFeatures: features });
  const limits = cap === undefined ? requested : { ...requested, maxStorageBufferBindingSize: Math.min(requested.maxStorageBufferBindingSize, cap) };
  return { gpu, adapter, device, summary: summarise(adapter.info), limits, features, dawnFeatures: toggles };
}

/**
 * ALSEG_MAX_BINDING_MIB: the largest storage binding alseg lets itself use, below the adapter's
 * own. The device keeps its real limit; every check alseg makes (layers, the queue, micro-batches,
 * tiles) reads this one, so the paths taken past a real adapter's limit (r50 on whole Cityscapes
 * images) can be tested on small images in seconds.
 */
export function bindingCap(env: { ALSEG_MAX_BINDING_MIB?: string }): number | undefined {
  const v = env.ALSEG_MAX_BINDING_MIB;
  if (v === undefined || v === '') return undefined;
  const mib = Number(v);
  if (!(mib > 0)) throw new Error(`ALSEG_MAX_BINDING_MIB=${v}: expected a positive number of MiB`);
  return Math.floor(mib * 2 ** 20);
}
