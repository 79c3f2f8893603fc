import { DataError } from './errors.js';

export function checkSameSize(
  labelFile: string,
  label: { width: number; height: number },
  image: { width: number; height: number },
): void {
  if (label.width !== image.width || label.height !== image.height) {
    throw new DataError(
      labelFile,
      `label size ${label.width}x${label.height} does not match image size ${image.width}x${image.height}`,
    );
  }
}

/** Maps raw label values through `table` (255 = void); a value outside the table is an error. */
export function mapLabels(labelFile: string, raw: Uint8Array, width: number, table: ArrayLike<number>, valid: string): Uint8Array {
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    const t = table[v];
    if (t === undefined) {
      throw new DataError(
        labelFile,
        `label value ${v} at (x=${i % width}, y=${Math.floor(i / width)}) is outside the mapping (valid: ${valid})`,
      );
    }
    out[i] = t;
  }
  return out;
}
