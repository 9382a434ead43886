/** The Pareto front of size against fidelity: the models no other model beats on both. */

/** A model's place on the fidelity chart. */
export interface Point {
  /** Served bytes (smaller is better). */
  x: number;
  /** Fidelity (larger is better). */
  y: number;
}

/**
 * For each point, the index of one point that dominates it (no larger, no less faithful,
 * and better on at least one), or -1 when none does: those form the front. Equal points
 * do not dominate each other, so both stay on the front.
 */
export function dominators(points: readonly Point[]): Int32Array {
  const by = new Int32Array(points.length).fill(-1);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    for (let j = 0; j < points.length; j++) {
      const q = points[j];
      if (j !== i && q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y)) {
        by[i] = j;
        break;
      }
    }
  }
  return by;
}

/** Indices of the non-dominated points, smallest first (ties: most faithful first). */
export function paretoFront(points: readonly Point[]): number[] {
  const by = dominators(points);
  const front: number[] = [];
  for (let i = 0; i < points.length; i++) if (by[i] < 0) front.push(i);
  return front.sort((a, b) => points[a].x - points[b].x || points[b].y - points[a].y);
}
