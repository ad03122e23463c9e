/** The names `--format` takes (kept dependency-free so command registration can list them). */
export const FORMAT_NAMES = ["json", "junit", "markdown", "github", "pretty-summary", "html"] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export function isFormatName(name: string): name is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(name);
}
