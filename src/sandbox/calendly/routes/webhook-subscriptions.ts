/**
 * The Calendly emulator's webhook subscription routes: list (organization,
 * user or group scope), create (Calendly's validation: the events and the
 * scopes each allows as its API reference lists them, 409 on a duplicate url),
 * show and delete.
 */
import { randomBytes } from "node:crypto";
import type { Route } from "../../emulator-server.js";
import { forbidden, guard, invalid, isObject, json, notFound, type ParameterError } from "../pipeline.js";
import type { SubscriptionRecord } from "../records.js";
import { offsetPage, renderSubscription } from "../render.js";
import type { CalendlyStore } from "../store.js";
import { CALENDLY_CANONICAL_BASE as BASE, SUBSCRIPTION_SCOPES, WEBHOOK_EVENT_SCOPES, type SubscriptionScope } from "../types.js";

const isScope = (v: unknown): v is SubscriptionScope => typeof v === "string" && (SUBSCRIPTION_SCOPES as readonly string[]).includes(v);
/** A group URI (`https://api.calendly.com/groups/<uuid>`); the emulated host belongs to every group of its organization. */
const isGroupUri = (v: unknown): v is string => typeof v === "string" && /^https:\/\/api\.calendly\.com\/groups\/[^/]+$/.test(v);

/** The scope's owner parameter: `user` for user scope, `group` for group scope (required, and must be ours). */
function ownerDetails(scope: SubscriptionScope, u: unknown, group: unknown): ParameterError[] {
  if (scope === "user" && (typeof u !== "string" || !u)) return [{ parameter: "user", message: "is required when scope is user" }];
  if (scope === "group" && (typeof group !== "string" || !group)) return [{ parameter: "group", message: "is required when scope is group" }];
  if (scope === "group" && !isGroupUri(group)) return [{ parameter: "group", message: "must be a group URI" }];
  return [];
}

export function webhookSubscriptionRoutes(store: CalendlyStore): Route[] {
  const { nowIso, user, organizationUri, subscriptions, newId } = store;
  return [
    {
      method: "GET",
      path: "/webhook_subscriptions",
      handler: guard((req) => {
        const q = req.query;
        const details: ParameterError[] = [];
        const organization = q.get("organization");
        const scope = q.get("scope");
        const u = q.get("user");
        const group = q.get("group");
        if (!organization) details.push({ parameter: "organization", message: "is required" });
        if (!scope) details.push({ parameter: "scope", message: "is required" });
        else if (!isScope(scope)) details.push({ parameter: "scope", message: `must be one of ${SUBSCRIPTION_SCOPES.join(", ")}` });
        else details.push(...ownerDetails(scope, u, group));
        if (details.length) return invalid(details);
        if (organization !== organizationUri || (u !== null && u !== user.uri)) return forbidden();
        const list = [...subscriptions.values()].filter(
          (s) => s.organization === organization && s.scope === scope && (scope !== "user" || s.user === u) && (scope !== "group" || s.group === group),
        );
        return offsetPage(req, list, renderSubscription);
      }),
    },
    {
      method: "POST",
      path: "/webhook_subscriptions",
      handler: guard((req) => {
        const body = req.body;
        if (!isObject(body)) return invalid([{ parameter: "url", message: "the body must be a JSON object" }]);
        const details: ParameterError[] = [];
        const { url, events: evs, organization, scope, user: u, group, signing_key: signingKey } = body;
        let validUrl = false;
        if (typeof url === "string") {
          try {
            validUrl = ["http:", "https:"].includes(new URL(url).protocol);
          } catch {
            validUrl = false;
          }
        }
        if (!validUrl) details.push({ parameter: "url", message: "must be a valid http or https URL" });
        if (typeof organization !== "string" || !organization) details.push({ parameter: "organization", message: "is required" });
        if (!isScope(scope)) details.push({ parameter: "scope", message: `must be one of ${SUBSCRIPTION_SCOPES.join(", ")}` });
        else details.push(...ownerDetails(scope, u, group));
        if (!Array.isArray(evs) || evs.length === 0) details.push({ parameter: "events", message: "must be a non-empty list of events" });
        else {
          const unknown = evs.filter((e) => typeof e !== "string" || !Object.hasOwn(WEBHOOK_EVENT_SCOPES, e));
          if (unknown.length) details.push({ parameter: "events", message: `unknown events: ${unknown.map(String).join(", ")}` });
          else if (isScope(scope)) {
            // Calendly: events with different allowed scopes need separate subscriptions.
            const wrongScope = (evs as (keyof typeof WEBHOOK_EVENT_SCOPES)[]).filter((e) => !(WEBHOOK_EVENT_SCOPES[e] as readonly string[]).includes(scope));
            if (wrongScope.length) details.push({ parameter: "events", message: `not available with scope ${scope}: ${wrongScope.map((e) => `${e} (${WEBHOOK_EVENT_SCOPES[e].join(", ")})`).join(", ")}` });
          }
        }
        if (signingKey !== undefined && (typeof signingKey !== "string" || signingKey.length === 0)) details.push({ parameter: "signing_key", message: "must be a non-empty string" });
        if (details.length) return invalid(details);
        if (organization !== organizationUri) return forbidden();
        if (scope === "user" && u !== user.uri) return forbidden();
        const hookScope = scope as SubscriptionScope;
        const subUser = hookScope === "user" ? (u as string) : null;
        const subGroup = hookScope === "group" ? (group as string) : null;
        const duplicate = [...subscriptions.values()].some(
          (s) => s.callbackUrl === url && s.scope === hookScope && s.organization === organization && s.user === subUser && s.group === subGroup,
        );
        if (duplicate) return json(409, { title: "Already Exists", message: "Hook with this url already exists" });
        const uuid = newId();
        const at = nowIso();
        const sub: SubscriptionRecord = {
          uuid,
          uri: `${BASE}/webhook_subscriptions/${uuid}`,
          callbackUrl: url as string,
          events: [...new Set(evs as string[])],
          scope: hookScope,
          organization: organizationUri,
          user: subUser,
          group: subGroup,
          creator: user.uri,
          state: "active",
          signingKey: typeof signingKey === "string" ? signingKey : randomBytes(32).toString("base64url"),
          createdAt: at,
          updatedAt: at,
          retryStartedAt: null,
        };
        subscriptions.set(uuid, sub);
        return json(201, { resource: renderSubscription(sub) });
      }),
    },
    {
      method: "GET",
      path: "/webhook_subscriptions/:uuid",
      handler: guard((req) => {
        const sub = subscriptions.get(req.params.uuid!);
        return sub ? json(200, { resource: renderSubscription(sub) }) : notFound();
      }),
    },
    {
      method: "DELETE",
      path: "/webhook_subscriptions/:uuid",
      handler: guard((req) => (subscriptions.delete(req.params.uuid!) ? { status: 204 } : notFound())),
    },
  ];
}
