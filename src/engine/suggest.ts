/** Edit distance (Levenshtein), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The candidates nearest to `input`: those containing it (or contained in it)
 * first, then by edit distance, keeping only reasonably close ones.
 */
export function closest(input: string, candidates: readonly string[], limit = 3): string[] {
  const q = input.toLowerCase();
  const scored = candidates.map((c) => {
    const l = c.toLowerCase();
    const contains = l.includes(q) || q.includes(l);
    return { c, score: contains ? 0 : editDistance(q, l), contains };
  });
  const maxDistance = Math.max(2, Math.floor(q.length / 2));
  return scored
    .filter((s) => s.contains || s.score <= maxDistance)
    .sort((a, b) => a.score - b.score || a.c.length - b.c.length || a.c.localeCompare(b.c))
    .slice(0, limit)
    .map((s) => s.c);
}
