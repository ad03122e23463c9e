/**
 * DKIM's tag=value lists (RFC 6376 §3.2), which DMARC records use too
 * (RFC 7489 §6.3): `tag-list = tag-spec *( ";" tag-spec ) [ ";" ]`, tag names
 * `ALPHA *( ALPHA / DIGIT / "_" )` and case-sensitive, values of VALCHARs
 * (%x21-3A / %x3C-7E) separated by whitespace, a name at most once ("if a tag
 * name does occur more than once, the entire tag-list is invalid").
 */

export type TagListResult = { ok: true; tags: Map<string, string>; order: string[] } | { ok: false; error: string };

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const WSP = /^[ \t\r\n]+|[ \t\r\n]+$/g;
const VALUE = /^(?:[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*)?$/;

export function parseTagList(record: string): TagListResult {
  const specs = record.split(";");
  if (specs.length > 1 && specs[specs.length - 1]!.replace(WSP, "") === "") specs.pop(); // one trailing ";"
  const tags = new Map<string, string>();
  const order: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq < 0) return { ok: false, error: `"${spec.trim()}" is not tag=value` };
    const name = spec.slice(0, eq).replace(WSP, "");
    const value = spec.slice(eq + 1).replace(WSP, "");
    if (!TAG_NAME.test(name)) return { ok: false, error: `"${name}" is not a tag name` };
    if (!VALUE.test(value)) return { ok: false, error: `the value of ${name}= has characters a tag value cannot hold` };
    if (tags.has(name)) return { ok: false, error: `${name}= appears more than once` };
    tags.set(name, value);
    order.push(name);
  }
  return { ok: true, tags, order };
}
