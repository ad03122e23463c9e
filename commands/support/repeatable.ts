/** Commander's argument parser for a repeatable option: every value given, in order (`--status a --status b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
