/**
 * Demo data for `bookflow db seed`: builders, each with a free and a paid
 * session type, plus one returning customer for the authenticated scenario.
 * Calendly event type URIs are canonical identifiers; the sandbox's Calendly
 * emulator serves event types with exactly these URIs.
 */
export interface SeedSessionType {
  slug: string;
  title: string;
  durationMinutes: number;
  priceCents: number;
  currency: string;
  calendlyEventTypeUri: string;
  stripePriceId: string | null;
}

export interface SeedBuilder {
  email: string;
  name: string;
  slug: string;
  displayName: string;
  headline: string;
  visible: boolean;
  sessionTypes: SeedSessionType[];
}

export interface SeedData {
  builders: SeedBuilder[];
  customers: { email: string; name: string }[];
}

const CALENDLY = "https://api.calendly.com/event_types";

export const DEFAULT_SEED: SeedData = {
  builders: [
    {
      email: "ada@builders.example.com",
      name: "Ada Lovelace",
      slug: "ada-lovelace",
      displayName: "Ada Lovelace",
      headline: "Analytical engines, shipped",
      visible: true,
      sessionTypes: [
        { slug: "intro-call", title: "Free intro call", durationMinutes: 30, priceCents: 0, currency: "usd", calendlyEventTypeUri: `${CALENDLY}/ada-intro-call`, stripePriceId: null },
        { slug: "build-session", title: "Paid build session", durationMinutes: 60, priceCents: 9900, currency: "usd", calendlyEventTypeUri: `${CALENDLY}/ada-build-session`, stripePriceId: "price_ada_build_session" },
      ],
    },
    {
      email: "grace@builders.example.com",
      name: "Grace Hopper",
      slug: "grace-hopper",
      displayName: "Grace Hopper",
      headline: "Compilers and debugging",
      visible: true,
      sessionTypes: [
        { slug: "intro-call", title: "Free intro call", durationMinutes: 20, priceCents: 0, currency: "usd", calendlyEventTypeUri: `${CALENDLY}/grace-intro-call`, stripePriceId: null },
        { slug: "code-review", title: "Paid code review", durationMinutes: 45, priceCents: 14900, currency: "usd", calendlyEventTypeUri: `${CALENDLY}/grace-code-review`, stripePriceId: "price_grace_code_review" },
      ],
    },
  ],
  customers: [{ email: "returning.customer@example.com", name: "Returning Customer" }],
};
