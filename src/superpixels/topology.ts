// Local connectivity test shared by SEEDS's block and pixel moves.
//
// Ring order of the 8 neighbours: NW, N, NE, E, SE, S, SW, W (bit i of a mask = ring cell i is in
// the region). Inside the ring, consecutive cells are 4-adjacent, so the region's 4-connected
// pieces within the ring are the cyclic runs of set bits. Taking the centre out of the region keeps
// the region connected when at most one such run touches the centre through N, E, S or W.

export const RING_DX = [-1, 0, 1, 1, 1, 0, -1, -1] as const;
export const RING_DY = [-1, -1, -1, 0, 1, 1, 1, 0] as const;
const EDGE_CELLS = 0b10101010; // N, E, S, W

/** For each 8-bit ring mask: number of cyclic runs of set bits that contain an edge cell. */
export const EDGE_RUNS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let m = 0; m < 256; m++) {
    if (m === 255) {
      t[m] = 1;
      continue;
    }
    let runs = 0;
    // Start just after a clear bit, so no run wraps around the start.
    let start = 0;
    while ((m >> start) & 1) start++;
    let inRun = false;
    let touches = false;
    for (let k = 1; k <= 8; k++) {
      const i = (start + k) % 8;
      const set = ((m >> i) & 1) === 1;
      if (set) {
        inRun = true;
        if ((EDGE_CELLS >> i) & 1) touches = true;
      } else if (inRun) {
        if (touches) runs++;
        inRun = false;
        touches = false;
      }
    }
    t[m] = runs;
  }
  return t;
})();

/** Ring mask of the cells of `grid` (w x h) around (x, y) equal to `label`; outside counts as not. */
export function ringMask(grid: Int32Array, w: number, h: number, x: number, y: number, label: number): number {
  let m = 0;
  for (let i = 0; i < 8; i++) {
    const nx = x + RING_DX[i]!;
    const ny = y + RING_DY[i]!;
    if (nx >= 0 && ny >= 0 && nx < w && ny < h && grid[ny * w + nx] === label) m |= 1 << i;
  }
  return m;
}

/** Whether taking cell (x, y) out of region `label` leaves the region 4-connected around it. */
export function removableWithoutSplit(grid: Int32Array, w: number, h: number, x: number, y: number, label: number): boolean {
  return EDGE_RUNS[ringMask(grid, w, h, x, y, label)]! <= 1;
}
