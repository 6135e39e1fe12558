// The Shiny demo's synthetic dataset, computed here in TypeScript, independently of R and Spark:
// the same integer formulas on the row id (exact in doubles below 2^53), then plain aggregates
// and an ordinary least squares fit.

export interface SyntheticRow {
  x: number;
  grp: number;
  segment: string;
  y: number;
}

/** Rows 0..rows-1 of the dataset for a seed (groups A…). */
export function syntheticRows(rows: number, seed: number, groups = 8): SyntheticRow[] {
  const out: SyntheticRow[] = [];
  for (let id = 0; id < rows; id += 1) {
    const x = ((id * 7919 + seed * 104729) % 10007) / 10007;
    const grp = (id * 31 + seed * 17) % groups;
    const noise = ((id * 15485863 + seed * 32452843) % 1000) / 1000 - 0.5;
    out.push({
      x,
      grp,
      segment: String.fromCharCode(65 + grp),
      y: 1.5 + 2 * x + 0.25 * grp + noise,
    });
  }
  return out;
}

export interface GroupStats {
  group: string;
  n: number;
  meanX: number;
  meanY: number;
}

/**
 * Count and means per segment (or per decile of x) of the rows with x >= minX, ordered by group.
 */
export function aggregate(
  rows: SyntheticRow[],
  by: 'segment' | 'x_decile',
  minX: number,
): GroupStats[] {
  const groups = new Map<string, { n: number; sumX: number; sumY: number }>();
  for (const row of rows) {
    if (row.x < minX) continue;
    const key = by === 'segment' ? row.segment : String(Math.floor(row.x * 10));
    const stats = groups.get(key) ?? { n: 0, sumX: 0, sumY: 0 };
    stats.n += 1;
    stats.sumX += row.x;
    stats.sumY += row.y;
    groups.set(key, stats);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (by === 'segment' ? a.localeCompare(b) : Number(a) - Number(b)))
    .map(([group, stats]) => ({
      group,
      n: stats.n,
      meanX: stats.sumX / stats.n,
      meanY: stats.sumY / stats.n,
    }));
}

/**
 * Least squares of y ~ x + segment (intercept, x, one column per segment but the first), as R's
 * lm() parametrizes and names it, by the normal equations. Returns estimates by term name:
 * "(Intercept)", "x", "segmentB"…
 */
export function leastSquares(rows: SyntheticRow[], minX: number): Map<string, number> {
  const kept = rows.filter((row) => row.x >= minX);
  const segments = [...new Set(kept.map((row) => row.segment))].sort().slice(1);
  const terms = ['(Intercept)', 'x', ...segments.map((segment) => `segment${segment}`)];
  const size = terms.length;
  const xtx = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  const xty = new Array<number>(size).fill(0);
  for (const row of kept) {
    const features = [1, row.x, ...segments.map((segment) => (row.segment === segment ? 1 : 0))];
    for (let i = 0; i < size; i += 1) {
      xty[i] = (xty[i] as number) + (features[i] as number) * row.y;
      for (let j = 0; j < size; j += 1)
        (xtx[i] as number[])[j] =
          ((xtx[i] as number[])[j] as number) + (features[i] as number) * (features[j] as number);
    }
  }
  // Gaussian elimination with partial pivoting on [XtX | Xty].
  const matrix = xtx.map((line, i) => [...line, xty[i] as number]);
  for (let column = 0; column < size; column += 1) {
    let pivot = column;
    for (let line = column + 1; line < size; line += 1)
      if (
        Math.abs((matrix[line] as number[])[column] as number) >
        Math.abs((matrix[pivot] as number[])[column] as number)
      )
        pivot = line;
    [matrix[column], matrix[pivot]] = [matrix[pivot] as number[], matrix[column] as number[]];
    const top = matrix[column] as number[];
    for (let line = 0; line < size; line += 1) {
      if (line === column) continue;
      const current = matrix[line] as number[];
      const factor = (current[column] as number) / (top[column] as number);
      for (let k = column; k <= size; k += 1)
        current[k] = (current[k] as number) - factor * (top[k] as number);
    }
  }
  return new Map(
    terms.map((term, i) => [
      term,
      ((matrix[i] as number[])[size] as number) / ((matrix[i] as number[])[i] as number),
    ]),
  );
}
