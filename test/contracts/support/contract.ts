/**
 * What every provider's contract test does with its recorded exchanges, in one place: which known operation a call
 * is (test A: a call outside the list fails), whether each request is one the spec allows (A), whether each answer
 * is what the spec declares for its status (B), and whether the client reads the leanest answers the spec allows.
 */
import { expect } from "vitest";
import { readLeanest, startCannedServer } from "./canned-server.js";
import { checkRequest, checkResponse, findOperation, leanestInstances, validate, type JsonObject, type KnownDivergence, type Operation } from "./openapi.js";
import type { Exchange } from "./recording-proxy.js";

export type OperationOf = (exchange: Pick<Exchange, "method" | "path">) => { known: string; found: ReturnType<typeof findOperation> } | undefined;

/** The known operation ("GET /v7/deployments") a call is, and the spec's operation it matches; undefined outside the list. */
export function contractOperations(known: readonly string[], spec: Operation[]): OperationOf {
  return (exchange) => {
    const key = known.find((k) => {
      const [method, template] = k.split(" ");
      return findOperation([{ method, pathTemplate: template } as Operation], exchange.method, exchange.path) !== undefined;
    });
    return key ? { known: key, found: findOperation(spec, exchange.method, exchange.path) } : undefined;
  };
}

/** Known operations missing from the spec fixtures, or that the walk never called: each one a gap in the contract. */
export function contractGaps(known: readonly string[], spec: Operation[], walked: readonly Exchange[], operationOf: OperationOf): string[] {
  const gaps: string[] = [];
  for (const key of known) {
    if (!spec.some((o) => o.key === key)) gaps.push(`${key}: not in the spec fixtures`);
    if (!walked.some((e) => operationOf(e)?.known === key)) gaps.push(`${key}: not called by the walk`);
  }
  return gaps;
}

/** Test A: every call is a known operation in the spec, with a path, query and body it allows. */
export function requestViolations(walked: readonly Exchange[], operationOf: OperationOf, options: { known?: KnownDivergence[]; divergences?: string[] } = {}): string[] {
  const violations: string[] = [];
  for (const e of walked) {
    const call = `${e.method} ${e.path}${e.query.size ? `?${e.query.toString()}` : ""}`;
    const op = operationOf(e);
    if (!op) violations.push(`${call}: no contract case (not in KNOWN_OPERATIONS)`);
    else if (!op.found || op.found.operation.key !== op.known) violations.push(`${call}: ${op.known} is not in the spec fixtures`);
    else for (const v of checkRequest(op.found.operation, op.found.params, { method: e.method, path: e.path, query: e.query, body: e.requestBody }, options)) violations.push(`${call}: ${v}`);
  }
  return [...new Set(violations)];
}

/** Test B: every answer of a known operation is what the spec declares for its status (calls outside the contract are test A's). */
export function responseFindings(all: readonly Exchange[], operationOf: OperationOf, options: { fallbackErrorSchema?: JsonObject; known?: KnownDivergence[] } = {}): { violations: string[]; divergences: string[] } {
  const violations: string[] = [];
  const divergences: string[] = [];
  for (const e of all) {
    const op = operationOf(e)?.found;
    if (!op) continue;
    const checked = checkResponse(op.operation, e.status, e.responseBody, options);
    for (const v of checked.violations) violations.push(`${e.method} ${op.operation.pathTemplate} → ${v}`);
    divergences.push(...checked.divergences);
  }
  return { violations: [...new Set(violations)], divergences };
}

/**
 * Hands the client, from a canned server, every leanest answer the spec allows for each operation it reads (each
 * checked valid against the spec first); answers what the client refused.
 */
export async function refusedLeanestAnswers<C>(spec: Operation[], makeClient: (baseUrl: string) => C | Promise<C>, readers: Record<string, (client: C) => Promise<unknown>>): Promise<string[]> {
  let answer: Parameters<typeof startCannedServer>[0] = () => ({ status: 500 });
  const server = await startCannedServer((method, path) => answer(method, path));
  try {
    const leanest = (key: string) => {
      const schema = spec.find((o) => o.key === key)?.responses["200"]?.schema;
      const instances = schema ? leanestInstances(schema) : [];
      for (const instance of instances) expect(validate(schema!, instance), `${key}: ${JSON.stringify(instance)}`).toEqual([]);
      return instances;
    };
    return await readLeanest(await makeClient(server.url), readers, leanest, (method, path) => findOperation(spec, method, path)?.operation.key, (a) => (answer = a));
  } finally {
    await server.close();
  }
}
