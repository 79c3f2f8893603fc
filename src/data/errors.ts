/**
 * An input problem tied to one file. `check.ts` collects these instead of stopping at the first,
 * so the message format (file first, then the problem) is what a user sees in both places.
 */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'DataError';
  }
}

/** The errno code of a Node fs error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
