// What a region truly holds, from ground truth: the classes present and the one covering most of
// it (ties: the lower class index), and whether any of its pixels is void (255, or a value past
// the classes: the undefined class). Shared by the user study, which draws regions by it, and the
// annotation report, which scores answers against it.

export interface RegionTruth {
  /** Classes with at least one pixel in the region, ascending. */
  classes: number[];
  dominant: number;
  void: boolean;
}

/** The truth of every region of one image: `ids` its region map, `label` its ground truth. */
export function regionTruths(ids: Int32Array, count: number, label: Uint8Array, numClasses: number): RegionTruth[] {
  if (label.length !== ids.length) throw new Error(`region truth: ${label.length} label pixels for a region map of ${ids.length}`);
  const hist = new Int32Array(count * numClasses);
  const hasVoid = new Uint8Array(count);
  for (let p = 0; p < ids.length; p++) {
    const r = ids[p]!;
    const c = label[p]!;
    if (c >= numClasses) hasVoid[r] = 1;
    else hist[r * numClasses + c]! += 1;
  }
  return Array.from({ length: count }, (_, r) => {
    const classes: number[] = [];
    let dominant = 0;
    for (let c = 0; c < numClasses; c++) {
      if (hist[r * numClasses + c]! > 0) classes.push(c);
      if (hist[r * numClasses + c]! > hist[r * numClasses + dominant]!) dominant = c;
    }
    return { classes, dominant, void: hasVoid[r] === 1 };
  });
}
