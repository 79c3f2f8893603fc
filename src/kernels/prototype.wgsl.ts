// The prototypical pixel x*_{s,c} of a labelled region s for class c (paper Eq. 8; docs/method.md):
// the pixel of s where class c scores highest. The region losses (score: log p_c at temperature
// tau) and the pseudo-labels (score: p_c at temperature 1) both find it with this function.
// Ties go to the first pixel in the region's list. When no pixel's score beats -f32max (all NaN
// or -inf) the answer is still a pixel of the region, its first, as the argmax over s in Eq. 8
// always is; only an empty region, which has no pixel, gives -1.

/**
 * WGSL: `fn prototype(r: i32, c: u32) -> Prototype` over the CSR pixel lists `region_start` and
 * `region_pixels` (i32 storage bindings of the kernel), `score(x, c)` a WGSL f32 expression of the
 * pixel index x (u32) and the class c.
 */
export function prototypeArgmax(score: (x: string, c: string) => string): string {
  return `
struct Prototype { pixel: i32, score: f32 }
fn prototype(r: i32, c: u32) -> Prototype {
  let q0 = region_start[r];
  let q1 = region_start[r + 1];
  var best = -3.4028234663852886e38;
  var arg = -1;
  if (q0 < q1) { arg = region_pixels[q0]; }
  for (var q = q0; q < q1; q++) {
    let x = u32(region_pixels[q]);
    let v = ${score('x', 'c')};
    if (v > best) { best = v; arg = i32(x); }
  }
  return Prototype(arg, best);
}`;
}
