// The engine's public surface: what model code and researchers import.
export { initEngine, destroyEngine, engine, sync, hasEngine } from './runtime.js';
export { Tensor, tidy, sizeOf, type DType, type Shape } from './tensor.js';
export { noGrad, isGradEnabled } from './autograd.js';
export { backward } from './backward.js';
export { read, readF32, item, memory } from './io.js';
export { Generator } from './random.js';
export { SGD, AdamW, polyLr, type ParamGroup, Optimizer } from './optim.js';
export { GpuError, DisposedError } from './errors.js';
export { setPollYield } from './polling.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/softmax.js';
export * from './ops/matmul.js';
export * from './ops/gather.js';
