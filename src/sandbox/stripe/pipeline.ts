/**
 * The Stripe emulator's request pipeline: key auth and the unknown-URL answer,
 * the `api(handler)` wrapper every `/v1` route goes through (a `req_…` id,
 * the `Stripe-Version` header, Idempotency-Key replay and mismatch errors,
 * injected failures, StripeApiError as Stripe's error body, the answers to
 * `--faults` 429s and 5xx in Stripe's shape), request params
 * (`paramsOf`), list pagination (`listQuery`, `listAnswer`), and the
 * `control(fn)` wrapper of the `/_control` routes.
 */
import { parseFormBody, type EmulatorRequest, type EmulatorResponse, type InjectedFault } from "../emulator-server.js";
import type { StripeEvent, StripeList } from "./objects.js";
import { StripeApiError, allowOnly, clone, int, obj, redactKey, str, type Params } from "./params.js";
import type { IdempotentEntry, StripeState } from "./state.js";
import { randomToken, type ListResult } from "./store.js";
import type { InjectedError } from "./types.js";

const MAX_IDEMPOTENCY_KEYS = 50_000;

export const respond = (status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse => ({ status, body, headers });

/** A `/v1` route's work: the request and its params in, the answer out; a StripeApiError becomes Stripe's error body. */
export type Handler = (req: EmulatorRequest, params: Params) => EmulatorResponse;

export interface Pipeline {
  /** Stripe-side request handling: injected errors, idempotency replay, errors as Stripe bodies, Request-Id. */
  api(handler: Handler): (req: EmulatorRequest) => EmulatorResponse;
  /** The `request` field of the events a request causes: its `req_…` id and Idempotency-Key. */
  requestInfo(req: EmulatorRequest): StripeEvent["request"];
}

/** Query fields for GET and DELETE (DELETE may carry a form body too), the form body otherwise. */
export function paramsOf(req: EmulatorRequest): Params {
  if (req.method === "GET" || req.method === "DELETE") {
    const fromQuery = parseFormBody(req.query.toString());
    if (req.method === "DELETE" && req.body && typeof req.body === "object") return { ...fromQuery, ...(req.body as Params) };
    return fromQuery;
  }
  if (req.body === undefined) return {};
  if (typeof req.body !== "object" || req.body === null) throw new StripeApiError(400, "Invalid request: the body must be form-encoded (application/x-www-form-urlencoded).");
  return req.body as Params;
}

export function listAnswer<T>(path: string, result: ListResult<T>): StripeList<T> {
  if ("missingCursor" in result) throw new StripeApiError(400, `No such object: '${result.id}'`, { code: "resource_missing", param: result.missingCursor });
  return { object: "list", data: result.data.map(clone), has_more: result.hasMore, url: path };
}

export function listQuery(params: Params): { limit: number; startingAfter?: string; endingBefore?: string; createdFrom?: number; createdTo?: number } {
  const limit = int(params, "limit", "limit", { min: 1, max: 100 }) ?? 10;
  const startingAfter = str(params, "starting_after");
  const endingBefore = str(params, "ending_before");
  let createdFrom: number | undefined;
  let createdTo: number | undefined;
  const created = params.created;
  if (typeof created === "string") {
    createdFrom = createdTo = int(params, "created");
  } else if (created !== undefined) {
    const c = obj(params, "created")!;
    allowOnly(c, ["gt", "gte", "lt", "lte"]);
    const gt = int(c, "gt", "created[gt]");
    const gte = int(c, "gte", "created[gte]");
    const lt = int(c, "lt", "created[lt]");
    const lte = int(c, "lte", "created[lte]");
    if (gte !== undefined) createdFrom = gte;
    if (gt !== undefined) createdFrom = Math.max(createdFrom ?? -Infinity, gt + 1);
    if (lte !== undefined) createdTo = lte;
    if (lt !== undefined) createdTo = Math.min(createdTo ?? Infinity, lt - 1);
  }
  return {
    limit,
    ...(startingAfter ? { startingAfter } : {}),
    ...(endingBefore ? { endingBefore } : {}),
    ...(createdFrom !== undefined ? { createdFrom } : {}),
    ...(createdTo !== undefined ? { createdTo } : {}),
  };
}

/** The params every list endpoint takes. */
export const LIST_PARAMS = ["limit", "starting_after", "ending_before", "created", "expand"] as const;

/** The answer to a reused Idempotency-Key: the first answer again, or Stripe's error when the request differs. */
function replay(seen: IdempotentEntry, req: EmulatorRequest, key: string, bodyText: string, baseHeaders: Record<string, string>): EmulatorResponse {
  if (seen.method !== req.method || seen.path !== req.path || seen.body !== bodyText) {
    return respond(
      400,
      {
        error: {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        },
      },
      baseHeaders,
    );
  }
  return { ...seen.response, headers: { ...seen.response.headers, ...baseHeaders, "idempotent-replayed": "true", "original-request": String(seen.response.headers?.["request-id"] ?? "") } };
}

/** The first injected failure matching the request, counted down (and dropped when used up). */
function takeInjected(injected: (InjectedError & { left: number })[], req: EmulatorRequest): (InjectedError & { left: number }) | undefined {
  const failure = injected.find((f) => (!f.method || f.method === req.method) && (typeof f.path === "string" ? f.path === req.path : f.path.test(req.path)));
  if (failure) {
    failure.left--;
    if (failure.left <= 0) injected.splice(injected.indexOf(failure), 1);
  }
  return failure;
}

/** Stripe's error body for a StripeApiError: type, message, code with its doc_url, param. */
function errorAnswer(err: StripeApiError, headers: Record<string, string>): EmulatorResponse {
  const { type = "invalid_request_error", code, param } = err.extra;
  return respond(
    err.status,
    { error: { type, message: err.message, ...(code ? { code, doc_url: docUrl(code) } : {}), ...(param ? { param } : {}) } },
    headers,
  );
}

const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, "-")}`;

/**
 * A request refused before the endpoint began executing: its parameters failed validation. Stripe saves
 * no idempotent result for it (https://docs.stripe.com/api/idempotent_requests), so the same key can
 * be used again, with corrected parameters.
 */
const VALIDATION_CODES = /^(parameter_[a-z_]+|url_invalid|email_invalid)$/;

interface Handled {
  response: EmulatorResponse;
  /** False when the request never began executing (a validation failure): nothing to save under its key. */
  executed: boolean;
}

/**
 * Runs the handler. A StripeApiError becomes Stripe's error body; any other exception (an emulator bug)
 * a 500 `api_error`, as Stripe answers its own failures, so the SDK raises StripeAPIError.
 */
function handle(handler: Handler, req: EmulatorRequest, baseHeaders: Record<string, string>): Handled {
  let params: Params;
  try {
    params = paramsOf(req);
  } catch (err) {
    if (!(err instanceof StripeApiError)) throw err;
    return { response: errorAnswer(err, baseHeaders), executed: false };
  }
  try {
    const r = handler(req, params);
    return { response: { ...r, headers: { ...baseHeaders, ...r.headers } }, executed: true };
  } catch (err) {
    if (err instanceof StripeApiError) {
      const validation = err.status === 400 && err.extra.code !== undefined && VALIDATION_CODES.test(err.extra.code);
      return { response: errorAnswer(err, baseHeaders), executed: !validation };
    }
    return {
      response: respond(500, { error: { type: "api_error", message: `An error occurred with our connection to Stripe (emulator: ${err instanceof Error ? err.message : String(err)}).` } }, baseHeaders),
      executed: true,
    };
  }
}

/**
 * Stripe's answers to a `--faults` 429 or 5xx: a 429 is `invalid_request_error` with code `rate_limit`
 * (the SDK raises StripeRateLimitError for any 429), a 5xx an `api_error` (StripeAPIError). Both come
 * before the endpoint runs, so neither is saved under an Idempotency-Key.
 */
export function stripeFaultAnswer(fault: InjectedFault): EmulatorResponse {
  const headers = { "request-id": `req_${randomToken(14)}` };
  if (fault.kind === "rate_limited") {
    return respond(
      429,
      {
        error: {
          type: "invalid_request_error",
          code: "rate_limit",
          doc_url: docUrl("rate_limit"),
          message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        },
      },
      { ...headers, "retry-after": String(fault.retryAfterSeconds) },
    );
  }
  return respond(fault.status, { error: { type: "api_error", message: "An unknown error occurred (injected fault)." } }, headers);
}

export function createPipeline(state: Pick<StripeState, "apiVersion" | "idempotency" | "injected">): Pipeline {
  const { apiVersion, idempotency, injected } = state;
  /** Each API request's `req_…` id, for the `request` field of the events it causes. */
  const requestIds = new WeakMap<EmulatorRequest, string>();

  return {
    api(handler) {
      return (req) => {
        const requestId = `req_${randomToken(14)}`;
        requestIds.set(req, requestId);
        const baseHeaders = { "request-id": requestId, "stripe-version": String(req.headers["stripe-version"] ?? apiVersion) };
        const key = typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : undefined;
        const idempotent = key !== undefined && (req.method === "POST" || req.method === "DELETE");
        const bodyText = req.rawBody.toString("utf8");
        if (idempotent) {
          const seen = idempotency.get(key);
          if (seen) return replay(seen, req, key, bodyText, baseHeaders);
        }
        const failure = takeInjected(injected, req);
        // An injected failure (`failNext`) plays one the endpoint met while executing: saved, unless a 429.
        const { response, executed } = failure ? { response: respond(failure.status, { error: { ...failure.error } }, baseHeaders), executed: true } : handle(handler, req, baseHeaders);
        // Stripe saves the first answer of a request that began executing, 500s included; not a 429 or a validation failure.
        if (idempotent && executed && response.status !== 429) {
          if (idempotency.size >= MAX_IDEMPOTENCY_KEYS) idempotency.delete(idempotency.keys().next().value!);
          idempotency.set(key, { method: req.method, path: req.path, body: bodyText, response });
        }
        return response;
      };
    },
    requestInfo(req) {
      const key = req.headers["idempotency-key"];
      return { id: requestIds.get(req) ?? null, idempotency_key: typeof key === "string" ? key : null };
    },
  };
}

/** A `/_control` route: the function's value as a 200 JSON answer, a StripeApiError as an error body with its status. */
export function control(fn: (req: EmulatorRequest) => unknown): (req: EmulatorRequest) => Promise<EmulatorResponse> {
  return async (req) => {
    try {
      return respond(200, await fn(req));
    } catch (err) {
      if (err instanceof StripeApiError) return respond(err.status, { error: { type: err.extra.type ?? "invalid_request_error", message: err.message, ...err.extra } });
      throw err;
    }
  };
}

/** The API key a request carries: Bearer, or Basic with the key as user name. */
export function apiKeyOf(req: EmulatorRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || undefined;
  if (header?.startsWith("Basic ")) return Buffer.from(header.slice(6), "base64").toString("utf8").split(":")[0] || undefined;
  return undefined;
}

/** The one call a publishable key may make here (as with Stripe.js): creating a token. */
const PUBLISHABLE_KEY_ROUTES = [{ method: "POST", path: "/v1/tokens" }];

/**
 * Auth with the account's secret key; the account's publishable key and other accounts' publishable keys
 * only for `POST /v1/tokens` (anything else is Stripe's 401 for a publishable key); the hosted Checkout
 * page needs none.
 */
export function authenticateWith(secretKey: string, publishable: { own: string; others: ReadonlySet<string> } = { own: "", others: new Set() }): (req: EmulatorRequest) => EmulatorResponse | undefined {
  return (req) => {
    if (req.path.startsWith("/c/pay/")) return undefined;
    const key = apiKeyOf(req);
    if (!key) {
      return respond(401, {
        error: {
          type: "invalid_request_error",
          message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        },
      });
    }
    if (key === secretKey) return undefined;
    if ((publishable.own && key === publishable.own) || publishable.others.has(key)) {
      if (PUBLISHABLE_KEY_ROUTES.some((r) => r.method === req.method && r.path === req.path)) return undefined;
      return respond(401, {
        error: {
          type: "invalid_request_error",
          message: "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
        },
      });
    }
    return respond(401, { error: { type: "invalid_request_error", message: `Invalid API Key provided: ${redactKey(key)}` } });
  };
}

/** Stripe's answer to a URL it does not know. */
export function notFound(req: EmulatorRequest): EmulatorResponse {
  return respond(404, {
    error: {
      type: "invalid_request_error",
      message: `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    },
  });
}
