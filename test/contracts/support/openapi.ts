/**
 * Holds recorded requests and answers to an OpenAPI document (the fixtures
 * under test/contracts/fixtures): finds the operation, checks path and query
 * parameters against their declared schemas, the JSON request body against
 * `requestBody`, and the answer against the response declared for its status.
 * Schemas are validated with ajv (JSON Schema draft-07, OpenAPI's `nullable`),
 * after `$ref`s are inlined. Every finding is a line of text: a violation.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, Json>>;
}

export interface Parameter {
  name: string;
  in: "query" | "path" | "header" | "cookie";
  required?: boolean;
  schema?: JsonObject;
}

export interface Operation {
  /** "GET /v3/whitelabel/domains": method and path template. */
  key: string;
  method: string;
  pathTemplate: string;
  parameters: Parameter[];
  requestBodySchema: JsonObject | undefined;
  /** `stream`: the body is a stream of JSON lines (application/stream+json), `schema` that of each line. */
  responses: Record<string, { schema: JsonObject | undefined; stream?: true }>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** A place where the provider's own answers differ from its OpenAPI document, with the evidence; matching findings are set apart, not hidden. */
export interface KnownDivergence {
  /** An operation key ("GET /v3/templates/{template_id}"), or "*" for every operation. */
  operation: string;
  /** Matches ajv's dataPath of the finding, e.g. /^\.id$/ or /\.help$/; for an undeclared status, the status code. */
  dataPath: RegExp;
  /** ajv's keyword (type, format, …), or "status" for a status the operation does not declare. */
  keyword: string;
  reason: string;
}

const HTTP_METHODS = ["get", "post", "put", "patch", "delete"];

export function loadDocument(url: URL): OpenApiDocument {
  return JSON.parse(readFileSync(url, "utf8")) as OpenApiDocument;
}

/** Replaces every `#/...` `$ref` by what it points at (the fixtures have no recursive schemas; a cycle is an error). */
export function inlineRefs(doc: OpenApiDocument, node: unknown, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(doc, n, seen));
  if (!node || typeof node !== "object") return node as Json;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$ref === "string") {
    const ref = obj.$ref;
    if (seen.includes(ref)) throw new Error(`recursive $ref ${ref}`);
    const target = ref
      .slice(2)
      .split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], doc);
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    // OpenAPI 3.1 lets a $ref have siblings (description, type): the target's keywords win, the siblings are kept.
    const { $ref: _ref, ...siblings } = obj;
    return { ...(inlineRefs(doc, siblings, seen) as JsonObject), ...(inlineRefs(doc, target, [...seen, ref]) as JsonObject) };
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) out[k] = inlineRefs(doc, v, seen);
  return out;
}

/** Every operation of a document, `$ref`s inlined. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [pathTemplate, item] of Object.entries(doc.paths)) {
    const shared = (inlineRefs(doc, item.parameters ?? []) as unknown as Parameter[]) ?? [];
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const own = inlineRefs(doc, op.parameters ?? []) as unknown as Parameter[];
      const body = inlineRefs(doc, op.requestBody ?? null) as JsonObject | null;
      const responses: Operation["responses"] = {};
      for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, unknown>)) {
        const response = inlineRefs(doc, r) as JsonObject;
        const content = response.content as JsonObject | undefined;
        const json = content?.["application/json"] as JsonObject | undefined;
        const stream = content?.["application/stream+json"] as JsonObject | undefined;
        responses[status] = json || !stream ? { schema: json?.schema as JsonObject | undefined } : { schema: stream.schema as JsonObject | undefined, stream: true };
      }
      out.push({
        key: `${method.toUpperCase()} ${pathTemplate}`,
        method: method.toUpperCase(),
        pathTemplate,
        parameters: [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own],
        requestBodySchema: ((body?.content as JsonObject | undefined)?.["application/json"] as JsonObject | undefined)?.schema as JsonObject | undefined,
        responses,
      });
    }
  }
  return out;
}

/** The path parameters of `path` under `template` (`/v3/templates/{template_id}`), or undefined when it does not match. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split("/");
  const p = path.split("/");
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(.+)\}$/.exec(t[i]!);
    if (m) {
      if (p[i] === "") return undefined;
      params[m[1]!] = decodeURIComponent(p[i]!);
    } else if (t[i] !== p[i]) return undefined;
  }
  return params;
}

/** The most specific operation matching a request (a literal segment beats a `{param}`). */
export function findOperation(operations: Operation[], method: string, path: string): { operation: Operation; params: Record<string, string> } | undefined {
  const matches = operations
    .filter((o) => o.method === method.toUpperCase())
    .map((operation) => ({ operation, params: matchPath(operation.pathTemplate, path) }))
    .filter((m): m is { operation: Operation; params: Record<string, string> } => m.params !== undefined);
  return matches.sort((a, b) => Object.keys(a.params).length - Object.keys(b.params).length)[0];
}

const ajv = new Ajv({ nullable: true, allErrors: true, unknownFormats: "ignore", validateSchema: false, logger: false });
const compiled = new WeakMap<object, Ajv.ValidateFunction>();

export interface SchemaFinding {
  dataPath: string;
  keyword: string;
  message: string;
}

/** Validates a value against an (inlined) OpenAPI schema. */
export function validate(schema: JsonObject, value: unknown): SchemaFinding[] {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(stripAnnotations(schema) as object);
    compiled.set(schema, fn);
  }
  if (fn(value)) return [];
  return (fn.errors ?? []).map((e) => ({ dataPath: e.dataPath, keyword: e.keyword, message: `${e.dataPath || "(root)"} ${e.message ?? "is invalid"}${e.keyword === "enum" ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})` : ""}` }));
}

/**
 * `example(s)` hold sample data, not schema (ajv 6 would read keywords inside
 * them), and `x-` keys are notes: both go, except as property names.
 */
function stripAnnotations(node: Json, propertyMap = false): Json {
  if (Array.isArray(node)) return node.map((n) => stripAnnotations(n));
  if (!node || typeof node !== "object") return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    if (!propertyMap && (k === "example" || k === "examples" || k.startsWith("x-"))) continue;
    out[k] = stripAnnotations(v, !propertyMap && k === "properties");
  }
  return out;
}

/** A query or path value as its schema's type reads it (query strings are text on the wire). */
function coerce(raw: string, schema: JsonObject | undefined): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  if (type === "array") return raw.split(",");
  return raw;
}

/** What is wrong with a request for its operation: undeclared or ill-typed parameters, a missing required one, a body the schema refuses. */
export function checkRequest(
  operation: Operation,
  params: Record<string, string>,
  request: RecordedRequest,
  options: { known?: KnownDivergence[]; divergences?: string[] } = {},
): string[] {
  const out: string[] = [];
  const declared = (where: Parameter["in"]) => operation.parameters.filter((p) => p.in === where);
  for (const p of declared("path")) {
    const value = params[p.name];
    if (value === undefined) out.push(`path parameter ${p.name} is missing`);
    else if (p.schema) for (const f of validate(p.schema, coerce(value, p.schema))) out.push(`path parameter ${p.name}=${value}: ${f.message}`);
  }
  const names = new Set([...request.query.keys()]);
  for (const name of names) {
    const p = declared("query").find((q) => q.name === name);
    if (!p) {
      out.push(`query parameter ${name} is not declared by the spec`);
      continue;
    }
    for (const value of request.query.getAll(name)) if (p.schema) for (const f of validate(p.schema, coerce(value, p.schema))) out.push(`query parameter ${name}=${value}: ${f.message}`);
  }
  for (const p of declared("query")) if (p.required && !names.has(p.name)) out.push(`required query parameter ${p.name} is missing`);
  if (operation.requestBodySchema) {
    if (request.body === undefined) out.push("the request has no body; the spec requires one");
    else
      for (const f of validate(operation.requestBodySchema, request.body)) {
        const known = knownFor(options.known, operation, f);
        if (known) options.divergences?.push(`request body ${f.message}: ${known.reason}`);
        else out.push(`request body ${f.message}`);
      }
  } else if (request.body !== undefined) out.push("the request has a body; the spec declares none");
  return out;
}

/** The known divergence a finding matches, if any (for a status: keyword "status", dataPath the status code). */
function knownFor(known: KnownDivergence[] | undefined, operation: Operation, finding: Pick<SchemaFinding, "dataPath" | "keyword">): KnownDivergence | undefined {
  return known?.find((k) => (k.operation === "*" || k.operation === operation.key) && k.keyword === finding.keyword && k.dataPath.test(finding.dataPath));
}

/** The response an operation declares for a status: exact, then `4XX`/`5XX`, then `default`. */
export function declaredResponse(operation: Operation, status: number): Operation["responses"][string] | undefined {
  return operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`] ?? operation.responses.default;
}

export interface ResponseCheck {
  violations: string[];
  /** Findings that match a known divergence, with its reason. */
  divergences: string[];
}

/**
 * What is wrong with an answer: a status the operation does not declare (unless
 * `fallbackErrorSchema` covers error statuses the provider's spec leaves out),
 * a body its schema refuses, or a body where none is declared.
 */
export function checkResponse(
  operation: Operation,
  status: number,
  body: unknown,
  options: { fallbackErrorSchema?: JsonObject; known?: KnownDivergence[] } = {},
): ResponseCheck {
  const declared = declaredResponse(operation, status);
  const schema = declared ? declared.schema : status >= 400 ? options.fallbackErrorSchema : undefined;
  if (!declared && !(status >= 400 && options.fallbackErrorSchema)) {
    const known = knownFor(options.known, operation, { dataPath: String(status), keyword: "status" });
    return known ? { violations: [], divergences: [`status ${status}: ${known.reason}`] } : { violations: [`status ${status} is not declared by the spec`], divergences: [] };
  }
  if (!schema) return { violations: body === undefined ? [] : [`status ${status} declares no body, got ${JSON.stringify(body).slice(0, 80)}`], divergences: [] };
  const violations: string[] = [];
  const divergences: string[] = [];
  // A stream of JSON lines: each line is checked against the schema (one line alone arrives parsed).
  const items = declared?.stream ? (typeof body === "string" ? body.split("\n").filter((l) => l.trim()).map(parseLine) : body === undefined ? [] : [body]) : [body];
  items.forEach((item, i) => {
    for (const f of validate(schema, item)) {
      const known = knownFor(options.known, operation, f);
      const where = declared?.stream ? `line ${i + 1}: ` : "";
      if (known) divergences.push(`${where}${f.message}: ${known.reason}`);
      else violations.push(`status ${status}: ${where}${f.message}`);
    }
  });
  return { violations, divergences };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
}

const FORMAT_SAMPLES: Record<string, string> = {
  email: "someone@example.com",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  uri: "https://example.com/",
  "date-time": "2026-01-01T00:00:00Z",
};

/**
 * The leanest values a schema allows, each valid against it: objects with their
 * required properties only, then (a second instance) with every property, each
 * at its leanest; one item per array, the first enum value, an `example` where
 * one fits (the schema's own or its parent object's); an instance per
 * `anyOf`/`oneOf` branch at the top. A client that throws on one of these is
 * stricter than the contract.
 */
export function leanestInstances(schema: JsonObject): unknown[] {
  const branches = (schema.anyOf ?? schema.oneOf) as JsonObject[] | undefined;
  return (branches ?? [schema]).flatMap((b) => [leanest(b, false), leanest(b, true)]);
}

function leanest(schema: JsonObject, everyProperty: boolean, parentExample?: unknown): unknown {
  for (const example of [schema.example, parentExample]) {
    if (example !== undefined && schema.type !== "object" && schema.type !== "array" && validate(schema, example).length === 0) return example;
  }
  const branches = (schema.anyOf ?? schema.oneOf ?? schema.allOf) as JsonObject[] | undefined;
  if (branches?.[0]) return leanest(branches[0], everyProperty);
  if (Array.isArray(schema.enum)) return schema.enum.find((v) => v !== null) ?? null;
  switch (schema.type) {
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, JsonObject>;
      const example = (schema.example ?? {}) as Record<string, unknown>;
      const names = everyProperty ? Object.keys(props) : ((schema.required ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = props[name] ? leanest(props[name], everyProperty, example[name]) : "x";
      return out;
    }
    case "array":
      return schema.items ? [leanest(schema.items as JsonObject, everyProperty)] : [];
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return false;
    case "string": {
      const sample = (typeof schema.format === "string" && FORMAT_SAMPLES[schema.format]) || "x";
      const min = typeof schema.minLength === "number" ? schema.minLength : 0;
      return sample.length >= min ? sample : sample.padEnd(min, "x");
    }
    default:
      return {};
  }
}
