/**
 * The Calendly emulator's webhook subscription routes: list (organization /
 * user scope), create (Calendly's validation, 409 on a duplicate url), show and
 * delete.
 */
import { randomBytes } from "node:crypto";
import type { Route } from "../../emulator-server.js";
import { forbidden, guard, invalid, isObject, json, notFound } from "../pipeline.js";
import type { SubscriptionRecord } from "../records.js";
import { offsetPage, renderSubscription } from "../render.js";
import type { CalendlyStore } from "../store.js";
import { CALENDLY_CANONICAL_BASE as BASE, EMULATED_WEBHOOK_EVENTS } from "../types.js";

export function webhookSubscriptionRoutes(store: CalendlyStore): Route[] {
  const { nowIso, user, organizationUri, subscriptions, newId } = store;
  return [
    {
      method: "GET",
      path: "/webhook_subscriptions",
      handler: guard((req) => {
        const q = req.query;
        const details: { parameter: string; message: string }[] = [];
        const organization = q.get("organization");
        const scope = q.get("scope");
        const u = q.get("user");
        if (!organization) details.push({ parameter: "organization", message: "is required" });
        if (!scope) details.push({ parameter: "scope", message: "is required" });
        else if (!["user", "organization", "group"].includes(scope)) details.push({ parameter: "scope", message: "must be one of user, organization, group" });
        if (scope === "user" && !u) details.push({ parameter: "user", message: "is required when scope is user" });
        if (details.length) return invalid(details);
        if (organization !== organizationUri || (u !== null && u !== user.uri)) return forbidden();
        const list = [...subscriptions.values()].filter((s) => s.organization === organization && s.scope === scope && (scope !== "user" || s.user === u));
        return offsetPage(req, list, renderSubscription);
      }),
    },
    {
      method: "POST",
      path: "/webhook_subscriptions",
      handler: guard((req) => {
        const body = req.body;
        if (!isObject(body)) return invalid([{ parameter: "url", message: "the body must be a JSON object" }]);
        const details: { parameter: string; message: string }[] = [];
        const { url, events: evs, organization, scope, user: u, signing_key: signingKey } = body;
        let validUrl = false;
        if (typeof url === "string") {
          try {
            validUrl = ["http:", "https:"].includes(new URL(url).protocol);
          } catch {
            validUrl = false;
          }
        }
        if (!validUrl) details.push({ parameter: "url", message: "must be a valid http or https URL" });
        if (!Array.isArray(evs) || evs.length === 0) details.push({ parameter: "events", message: "must be a non-empty list of events" });
        else {
          const unknown = evs.filter((e) => typeof e !== "string" || !(EMULATED_WEBHOOK_EVENTS as readonly string[]).includes(e));
          if (unknown.length) details.push({ parameter: "events", message: `unknown events: ${unknown.map(String).join(", ")}` });
        }
        if (typeof organization !== "string" || !organization) details.push({ parameter: "organization", message: "is required" });
        if (scope !== "user" && scope !== "organization") details.push({ parameter: "scope", message: "must be one of user, organization" });
        if (scope === "user" && (typeof u !== "string" || !u)) details.push({ parameter: "user", message: "is required when scope is user" });
        if (signingKey !== undefined && (typeof signingKey !== "string" || signingKey.length === 0)) details.push({ parameter: "signing_key", message: "must be a non-empty string" });
        if (details.length) return invalid(details);
        if (organization !== organizationUri) return forbidden();
        if (scope === "user" && u !== user.uri) return forbidden();
        const hookScope = scope as "user" | "organization";
        const subUser = hookScope === "user" ? (u as string) : null;
        const duplicate = [...subscriptions.values()].some((s) => s.callbackUrl === url && s.scope === hookScope && s.organization === organization && (hookScope !== "user" || s.user === subUser));
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
