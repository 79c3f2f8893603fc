// Log-sum-exp of a row, max-shifted: log sum_c exp(v_c) = m + log sum_c exp(v_c - m) with m the
// row's largest value, so no exp overflows. Softmax, the region losses and the acquisition
// statistics all compute it; this is the one way they do, c visited in order (the sum's order is
// part of the result's bits).

export interface ExpSum {
  /** WGSL names of the variables declared: the row's largest value and the sum of exp(v - max). */
  max: string;
  sum: string;
  /** Values per row (a WGSL u32 expression); the loop variable is `c`. */
  count: string;
  /** The value at c (WGSL f32 expression of `c`). */
  value: (c: string) => string;
  /** Only the c for which this WGSL bool holds take part (a label set, say). */
  when?: (c: string) => string;
  /** The max is already in `max` (found with other statistics): declare and sum only. */
  knownMax?: boolean;
}

/** WGSL statements declaring `var max` (unless known) and `var sum`; the log-sum-exp is max + log(sum). */
export function expSum(o: ExpSum): string {
  const v = o.value('c');
  const only = (stmt: string) => (o.when ? `if (${o.when('c')}) { ${stmt} }` : stmt);
  const loop = (stmt: string) => `for (var c = 0u; c < ${o.count}; c++) { ${only(stmt)} }`;
  const lines = o.knownMax ? [] : [`var ${o.max} = -3.4028234663852886e38;`, loop(`${o.max} = max(${o.max}, ${v});`)];
  lines.push(`var ${o.sum} = 0.0;`, loop(`${o.sum} += exp(${v} - ${o.max});`));
  return lines.join('\n  ');
}
