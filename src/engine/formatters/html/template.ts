/**
 * HTML templates as tagged template literals: every interpolated value is
 * escaped unless it is already `Html` (built by `html` itself, or `trusted`
 * for the page's own constant CSS and script). Check messages, expected and
 * actual values carry user data, so nothing reaches the page unescaped.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe inside an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A value as template content: Html as is, arrays joined, null/undefined/false as nothing, anything else escaped text. */
function part(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** For the page's own constants (stylesheet, script) only: never for data. */
export function trusted(text: string): Html {
  return new Html(text);
}

/** An id usable in attributes and fragment links, from a check id ("env.required-present" → "c-env-required-present"). */
export function anchor(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}
