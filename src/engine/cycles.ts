/**
 * The cycles of a dependency graph (checks' `needs`, facts' `needs`): each
 * as the path that closes it, `[a, b, a]`. Depth-first, in the order the
 * nodes are given, so the answer is stable for a stable input.
 */
export function findCycles(nodes: Iterable<string>, needsOf: (node: string) => readonly string[]): string[][] {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    const s = state.get(node);
    if (s === "done") return;
    if (s === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(node)), node]);
      return;
    }
    state.set(node, "visiting");
    stack.push(node);
    for (const n of needsOf(node)) visit(n);
    stack.pop();
    state.set(node, "done");
  };
  for (const node of nodes) visit(node);
  return cycles;
}
