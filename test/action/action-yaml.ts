import { parse } from "yaml";

/**
 * action.yml read with the `yaml` package, in strict mode: a duplicate key, a
 * tab or any YAML error throws with its position. Values are kept as written
 * (strings, mappings and sequences); a scalar that YAML would read as a number
 * or boolean is a string here, as GitHub passes every input as a string.
 */
export type YamlValue = string | YamlMap | YamlValue[];
export interface YamlMap {
  [key: string]: YamlValue;
}

function asStrings(value: unknown): YamlValue {
  if (Array.isArray(value)) return value.map(asStrings);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asStrings(v)]));
  return value === null || value === undefined ? "" : String(value);
}

export function parseActionYaml(source: string): YamlMap {
  const doc = parse(source, { strict: true, uniqueKeys: true, prettyErrors: true }) as unknown;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Error("action.yml is not a mapping");
  return asStrings(doc) as YamlMap;
}
