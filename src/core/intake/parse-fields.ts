/** Small readers shared by the providers' parsers. */

/** `body[key]` when it is a string, else "unknown" (names an event whose envelope did not parse). */
export function stringField(body: unknown, key: string): string {
  if (body && typeof body === "object" && typeof (body as Record<string, unknown>)[key] === "string") return (body as Record<string, string>)[key]!;
  return "unknown";
}

/** The string, or null when it is missing or blank. */
export function nonEmpty(s: string | null | undefined): string | null {
  return s && s.trim() ? s : null;
}
