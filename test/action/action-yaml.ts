/**
 * A strict reader of the YAML subset action.yml is written in: block mappings,
 * block sequences of mappings (`- key: value`), and scalars that are plain,
 * "double-quoted" (JSON escapes) or 'single-quoted'. Everything is a string.
 * Anything outside the subset (flow collections, anchors, tags, block
 * scalars, tabs, a plain scalar holding ": " or " #") throws with the line
 * number, so action.yml stays in a part of YAML every parser reads alike.
 */
export type YamlValue = string | YamlMap | YamlValue[];
export interface YamlMap {
  [key: string]: YamlValue;
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

export function parseActionYaml(source: string): YamlMap {
  const lines: Line[] = [];
  source.split("\n").forEach((raw, i) => {
    if (raw.includes("\t")) throw new Error(`line ${i + 1}: tab character`);
    const trimmed = raw.trimEnd();
    const text = trimmed.trimStart();
    if (text === "" || text.startsWith("#")) return;
    lines.push({ no: i + 1, indent: trimmed.length - text.length, text });
  });
  let i = 0;

  function block(indent: number): YamlValue {
    const first = lines[i]!;
    return first.text.startsWith("- ") || first.text === "-" ? sequence(indent) : mapping(indent);
  }

  function mapping(indent: number, firstText?: string): YamlMap {
    const map: YamlMap = {};
    let text = firstText;
    while (i < lines.length) {
      const line = lines[i]!;
      if (text === undefined) {
        if (line.indent < indent) break;
        if (line.indent > indent) throw new Error(`line ${line.no}: unexpected indentation`);
        if (line.text.startsWith("- ")) break;
        text = line.text;
      }
      const m = /^([A-Za-z0-9_-]+):(?: (.*))?$/.exec(text);
      if (!m) throw new Error(`line ${line.no}: expected "key: value", got ${JSON.stringify(text)}`);
      const key = m[1]!;
      if (key in map) throw new Error(`line ${line.no}: duplicate key ${key}`);
      i++;
      text = undefined;
      if (m[2] !== undefined && m[2].trim() !== "") {
        map[key] = scalar(m[2], line.no);
      } else {
        const next = lines[i];
        if (!next || next.indent <= indent) throw new Error(`line ${line.no}: ${key} has no value`);
        map[key] = block(next.indent);
      }
    }
    return map;
  }

  function sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    while (i < lines.length) {
      const line = lines[i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || !line.text.startsWith("- ")) throw new Error(`line ${line.no}: expected a "- " item`);
      const rest = line.text.slice(2);
      if (/^[A-Za-z0-9_-]+:(?: |$)/.test(rest)) items.push(mapping(indent + 2, rest));
      else {
        items.push(scalar(rest, line.no));
        i++;
      }
    }
    return items;
  }

  const root = mapping(0);
  if (i < lines.length) throw new Error(`line ${lines[i]!.no}: unexpected content`);
  return root;
}

function scalar(raw: string, no: number): string {
  const s = raw.trim();
  if (s.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(s)) throw new Error(`line ${no}: bad double-quoted string`);
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(s)) throw new Error(`line ${no}: bad single-quoted string`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[[\]{}&*!|>%@`,?:-]/.test(s) && !/^-\w/.test(s)) throw new Error(`line ${no}: plain scalar starts with an indicator: ${s}`);
  if (s.includes(": ") || s.includes(" #")) throw new Error(`line ${no}: plain scalar holds ": " or " #" (quote it): ${s}`);
  return s;
}
