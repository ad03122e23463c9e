import { describe, expect, it } from "vitest";
import { checkRequest, checkResponse, findOperation, inlineRefs, leanestInstances, matchPath, operationsOf, validate, type OpenApiDocument } from "./openapi.js";

const doc: OpenApiDocument = {
  paths: {
    "/v1/items": {
      get: {
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1 } },
          { name: "kind", in: "query", required: true, schema: { type: "string", enum: ["a", "b"] } },
        ],
        responses: {
          "200": { content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/Item" } } } } },
          "4XX": { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        },
      },
      post: { requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } }, responses: { "201": { description: "no body" } } },
    },
    "/v1/items/{id}": { parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }], get: { responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } } } } },
    "/v1/items/default": { get: { responses: { "200": { description: "" } } } },
  },
  components: {
    schemas: {
      Item: { type: "object", required: ["id"], properties: { id: { type: "integer" }, note: { type: "string", nullable: true }, example: { type: "string" } }, example: { id: "not checked" } },
      Error: { type: "object", required: ["message"], properties: { message: { type: "string" } } },
    },
  },
};
const ops = operationsOf(doc);
const op = (method: string, path: string) => findOperation(ops, method, path)!;
const req = (method: string, path: string, query = "", body?: unknown) => ({ method, path, query: new URLSearchParams(query), body });

describe("OpenAPI contract checker", () => {
  it("inlines $refs and refuses a recursive one", () => {
    expect(inlineRefs(doc, { $ref: "#/components/schemas/Error" })).toMatchObject({ required: ["message"] });
    const loop: OpenApiDocument = { paths: {}, components: { schemas: { A: { $ref: "#/components/schemas/A" } } } };
    expect(() => inlineRefs(loop, { $ref: "#/components/schemas/A" })).toThrow(/recursive/);
  });

  it("matches paths, a literal segment before a parameter", () => {
    expect(matchPath("/v1/items/{id}", "/v1/items/42")).toEqual({ id: "42" });
    expect(matchPath("/v1/items/{id}", "/v1/items")).toBeUndefined();
    expect(op("GET", "/v1/items/default").operation.pathTemplate).toBe("/v1/items/default");
    expect(findOperation(ops, "DELETE", "/v1/items")).toBeUndefined();
  });

  it("checks query and path parameters: declared, typed, required", () => {
    const list = op("GET", "/v1/items");
    expect(checkRequest(list.operation, list.params, req("GET", "/v1/items", "kind=a&limit=5"))).toEqual([]);
    const bad = checkRequest(list.operation, list.params, req("GET", "/v1/items", "limit=0&page=2"));
    expect(bad).toEqual([
      expect.stringContaining("limit=0"),
      "query parameter page is not declared by the spec",
      "required query parameter kind is missing",
    ]);
    const one = op("GET", "/v1/items/abc");
    expect(checkRequest(one.operation, one.params, req("GET", "/v1/items/abc"))).toEqual([expect.stringContaining("path parameter id=abc")]);
  });

  it("checks a request body against requestBody, and refuses one where none is declared", () => {
    const create = op("POST", "/v1/items");
    expect(checkRequest(create.operation, create.params, req("POST", "/v1/items", "", { id: 1, note: null }))).toEqual([]);
    expect(checkRequest(create.operation, create.params, req("POST", "/v1/items", "", { note: 3 }))).toHaveLength(2);
    expect(checkRequest(create.operation, create.params, req("POST", "/v1/items"))).toEqual(["the request has no body; the spec requires one"]);
    const list = op("GET", "/v1/items");
    expect(checkRequest(list.operation, list.params, req("GET", "/v1/items", "kind=b", { x: 1 }))).toEqual(["the request has a body; the spec declares none"]);
  });

  it("checks answers by status: exact, 4XX, a fallback for undeclared errors, no body where none is declared", () => {
    const list = op("GET", "/v1/items").operation;
    expect(checkResponse(list, 200, [{ id: 1, example: "a property named like a keyword" }]).violations).toEqual([]);
    expect(checkResponse(list, 200, [{ id: "1" }]).violations).toEqual([expect.stringContaining("[0].id")]);
    expect(checkResponse(list, 200, [{ id: 1, example: 5 }]).violations).toEqual([expect.stringContaining("[0].example")]);
    expect(checkResponse(list, 404, { message: "gone" }).violations).toEqual([]);
    expect(checkResponse(list, 404, { title: "gone" }).violations).toHaveLength(1);
    expect(checkResponse(list, 500, {}).violations).toEqual(["status 500 is not declared by the spec"]);
    expect(checkResponse(list, 500, { message: "down" }, { fallbackErrorSchema: { type: "object", required: ["message"] } }).violations).toEqual([]);
    const create = op("POST", "/v1/items").operation;
    expect(checkResponse(create, 201, undefined).violations).toEqual([]);
    expect(checkResponse(create, 201, { id: 1 }).violations).toHaveLength(1);
  });

  it("builds the leanest instances a schema allows, each valid, one per top-level branch", () => {
    const schema = inlineRefs(doc, {
      anyOf: [
        { type: "object", required: ["id", "kind", "tags", "when"], properties: { id: { type: "string", format: "uuid", minLength: 36 }, kind: { type: "string", enum: ["b", "a"] }, tags: { type: "array", items: { type: "integer", minimum: 3 } }, when: { type: "string", pattern: "^\\d{4}$", example: "2026" }, optional: { type: "string" } } },
        { $ref: "#/components/schemas/Item" },
      ],
    }) as Record<string, never>;
    const instances = leanestInstances(schema);
    expect(instances).toEqual([
      { id: "00000000-0000-4000-8000-000000000000", kind: "b", tags: [3], when: "2026" },
      { id: "00000000-0000-4000-8000-000000000000", kind: "b", tags: [3], when: "2026", optional: "x" },
      { id: 1 },
      { id: 1, note: "x", example: "x" },
    ]);
    for (const instance of instances) expect(validate(schema, instance)).toEqual([]);
    const parentExample = { type: "object", required: ["at"], properties: { at: { type: "string", pattern: "^\\d{2}:\\d{2}$" } }, example: { at: "12:30" } } satisfies Parameters<typeof leanestInstances>[0];
    expect(leanestInstances(parentExample)[0]).toEqual({ at: "12:30" });
  });

  it("sets a known divergence apart with its reason instead of counting it", () => {
    const one = op("GET", "/v1/items/1").operation;
    const known = [{ operation: "GET /v1/items/{id}", dataPath: /^\.id$/, keyword: "type", reason: "ids are strings in practice" }];
    expect(checkResponse(one, 200, { id: "x" }, { known })).toEqual({ violations: [], divergences: [expect.stringContaining("ids are strings in practice")] });
    expect(checkResponse(one, 200, { id: "x", note: 1 }, { known }).violations).toEqual([expect.stringContaining(".note")]);
  });
});
