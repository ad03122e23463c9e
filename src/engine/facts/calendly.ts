import { ProviderError } from "../../errors.js";
import type { CalendlyClient } from "../../providers/calendly/client.js";
import type { CalendlyEventType, CalendlyUser, CalendlyWebhookSubscription } from "../../providers/calendly/schemas.js";
import type { FactContext } from "./types.js";

/**
 * Calendly facts, read with CALENDLY_API_TOKEN (CALENDLY_API_BASE points them
 * at another API, e.g. the sandbox's emulator). One client and one
 * `GET /users/me` per run, shared by the gatherers below.
 */

/** `calendlyUser`: who the token belongs to, or why Calendly refused it (401/403). */
export type CalendlyUserFact =
  | { authenticated: true; user: Pick<CalendlyUser, "uri" | "name" | "slug" | "email" | "scheduling_url" | "current_organization"> }
  | { authenticated: false; status: number; reason: string };

/** `calendlyWebhookSubscriptions`: the organization's subscriptions and the user's own. */
export interface CalendlySubscriptionsFact {
  subscriptions: Pick<CalendlyWebhookSubscription, "uri" | "callback_url" | "state" | "events" | "scope">[];
  /** False when Calendly refused to list organization-scoped subscriptions (403: the token's user is not an owner or admin). */
  organizationScopeListed: boolean;
}

/** `calendlyEventTypes`: the organization's event types, active or not. */
export type CalendlyEventTypeFact = Pick<CalendlyEventType, "uri" | "name" | "slug" | "active">;

interface CalendlyRun {
  client: Promise<CalendlyClient>;
  user: Promise<CalendlyUserFact>;
}

const perRun = new WeakMap<FactContext, CalendlyRun>();

function calendlyRun(ctx: FactContext): CalendlyRun {
  let run = perRun.get(ctx);
  if (!run) {
    const client = (async () => {
      const token = ctx.env.CALENDLY_API_TOKEN?.trim();
      if (!token) throw new Error("CALENDLY_API_TOKEN is not set");
      const { createCalendlyClient } = await import("../../providers/calendly/client.js");
      return createCalendlyClient({ token, baseUrl: ctx.env.CALENDLY_API_BASE?.trim() || undefined, timeoutMs: 10_000, maxRetries: 2, signal: ctx.signal });
    })();
    const user = client.then(async (c): Promise<CalendlyUserFact> => {
      try {
        const me = await c.getCurrentUser();
        return { authenticated: true, user: { uri: me.uri, name: me.name, slug: me.slug, email: me.email, scheduling_url: me.scheduling_url, current_organization: me.current_organization } };
      } catch (err) {
        const status = refusedStatus(err);
        if (status === undefined) throw err;
        return { authenticated: false, status, reason: (err as Error).message };
      }
    });
    run = { client, user };
    perRun.set(ctx, run);
  }
  return run;
}

/** 401/403 from a ProviderError: Calendly answered and refused the credential. */
function refusedStatus(err: unknown): number | undefined {
  return err instanceof ProviderError && (err.status === 401 || err.status === 403) ? err.status : undefined;
}

async function authenticatedUser(ctx: FactContext): Promise<{ client: CalendlyClient; user: CalendlyUserFact & { authenticated: true } }> {
  const run = calendlyRun(ctx);
  const user = await run.user;
  if (!user.authenticated) throw new Error(`Calendly refused the token (${user.status}): ${user.reason}`);
  return { client: await run.client, user };
}

export async function gatherCalendlyUser(ctx: FactContext): Promise<CalendlyUserFact> {
  return calendlyRun(ctx).user;
}

export async function gatherCalendlyWebhookSubscriptions(ctx: FactContext): Promise<CalendlySubscriptionsFact> {
  const { client, user } = await authenticatedUser(ctx);
  const organization = user.user.current_organization;
  const [org, own] = await Promise.all([
    client.listWebhookSubscriptions({ organization, scope: "organization" }).catch((err: unknown) => {
      if (refusedStatus(err) === 403) return null;
      throw err;
    }),
    client.listWebhookSubscriptions({ organization, scope: "user", user: user.user.uri }),
  ]);
  const pick = (s: CalendlyWebhookSubscription) => ({ uri: s.uri, callback_url: s.callback_url, state: s.state, events: [...s.events], scope: s.scope });
  return { subscriptions: [...(org ?? []), ...own].map(pick), organizationScopeListed: org !== null };
}

export async function gatherCalendlyEventTypes(ctx: FactContext): Promise<CalendlyEventTypeFact[]> {
  const { client, user } = await authenticatedUser(ctx);
  const { collect } = await import("../../providers/calendly/client.js");
  const all = await collect(client.listEventTypes({ organization: user.user.current_organization }));
  return all.map((e) => ({ uri: e.uri, name: e.name, slug: e.slug, active: e.active }));
}
