import { ProviderError } from "../../errors.js";
import type { CalendlyEventType, CalendlyUser, CalendlyWebhookSubscription } from "../../providers/calendly/schemas.js";
import { defineFact } from "./define.js";

/**
 * Calendly facts, read with CALENDLY_API_TOKEN (CALENDLY_API_BASE points them
 * at another API, e.g. the sandbox's emulator). The run's client and its
 * `GET /users/me` are facts of their own, shared by the facts below.
 */

/** `calendlyUser`: who the token belongs to, or why Calendly refused it (401/403). */
export type CalendlyUserFact =
  | { authenticated: true; user: Pick<CalendlyUser, "uri" | "name" | "slug" | "email" | "scheduling_url" | "current_organization"> }
  | { authenticated: false; status: number; reason: string };

/** `calendlyWebhookSubscriptions`: the organization's subscriptions and the user's own. */
export interface CalendlySubscriptionsFact {
  /** `retry_started_at`: when Calendly began retrying failed deliveries to it (null while they succeed); it disables the subscription after 24 hours of failures. */
  subscriptions: (Pick<CalendlyWebhookSubscription, "uri" | "callback_url" | "state" | "events" | "scope"> & { retry_started_at: string | null })[];
  /** False when Calendly refused to list organization-scoped subscriptions (403: the token's user is not an owner or admin). */
  organizationScopeListed: boolean;
}

/** `calendlyEventTypes`: the organization's event types, active or not. */
export type CalendlyEventTypeFact = Pick<CalendlyEventType, "uri" | "name" | "slug" | "active">;

/** `calendlyClient` (internal): the run's client (CALENDLY_API_TOKEN; a missing token is this fact's failure). */
export const calendlyClientFact = defineFact({
  name: "calendlyClient",
  internal: true,
  gather: (ctx) => ctx.clients.calendly(),
});

/** 401/403 from a ProviderError: Calendly answered and refused the credential. */
function refusedStatus(err: unknown): number | undefined {
  return err instanceof ProviderError && (err.status === 401 || err.status === 403) ? err.status : undefined;
}

export const calendlyUserFact = defineFact({
  name: "calendlyUser",
  needs: ["calendlyClient"],
  async gather(_ctx, deps): Promise<CalendlyUserFact> {
    const client = await deps.calendlyClient();
    try {
      const me = await client.getCurrentUser();
      return { authenticated: true, user: { uri: me.uri, name: me.name, slug: me.slug, email: me.email, scheduling_url: me.scheduling_url, current_organization: me.current_organization } };
    } catch (err) {
      const status = refusedStatus(err);
      if (status === undefined) throw err;
      return { authenticated: false, status, reason: (err as Error).message };
    }
  },
});

/** The token's user, or a failure saying why Calendly refused it. */
function authenticated(user: CalendlyUserFact): CalendlyUserFact & { authenticated: true } {
  if (!user.authenticated) throw new Error(`Calendly refused the token (${user.status}): ${user.reason}`);
  return user;
}

export const calendlyWebhookSubscriptionsFact = defineFact({
  name: "calendlyWebhookSubscriptions",
  needs: ["calendlyClient", "calendlyUser"],
  async gather(_ctx, deps): Promise<CalendlySubscriptionsFact> {
    const { user } = authenticated(await deps.calendlyUser());
    const client = await deps.calendlyClient();
    const organization = user.current_organization;
    const [org, own] = await Promise.all([
      client.listWebhookSubscriptions({ organization, scope: "organization" }).catch((err: unknown) => {
        if (refusedStatus(err) === 403) return null;
        throw err;
      }),
      client.listWebhookSubscriptions({ organization, scope: "user", user: user.uri }),
    ]);
    const pick = (s: CalendlyWebhookSubscription) => ({ uri: s.uri, callback_url: s.callback_url, state: s.state, events: [...s.events], scope: s.scope, retry_started_at: s.retry_started_at ?? null });
    return { subscriptions: [...(org ?? []), ...own].map(pick), organizationScopeListed: org !== null };
  },
});

export const calendlyEventTypesFact = defineFact({
  name: "calendlyEventTypes",
  needs: ["calendlyClient", "calendlyUser"],
  async gather(_ctx, deps): Promise<CalendlyEventTypeFact[]> {
    const { user } = authenticated(await deps.calendlyUser());
    const client = await deps.calendlyClient();
    const { collect } = await import("../../providers/calendly/client.js");
    const all = await collect(client.listEventTypes({ organization: user.current_organization }));
    return all.map((e) => ({ uri: e.uri, name: e.name, slug: e.slug, active: e.active }));
  },
});
