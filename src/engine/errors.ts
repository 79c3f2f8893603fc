/** An error raised by the GPU (validation, out of memory, device lost), naming the kernels involved. */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

/** A tensor used after `dispose()`, or disposed twice. */
export class DisposedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DisposedError';
  }
}

/** A tensor too large for one binding or buffer on this adapter (the work must be split). */
export class BindingLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindingLimitError';
  }
}

/** A backward rule that returned the wrong number of gradients, or one of the wrong shape or dtype. */
export class GradientRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradientRuleError';
  }
}
