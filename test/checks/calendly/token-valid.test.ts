import check from "../../../checks/calendly/token-valid.js";
import type { CalendlyUserFact } from "../../../src/engine/facts/calendly.js";
import { checkTester } from "../../support/check-tester.js";
import { CALENDLY_OAUTH_JWT, CALENDLY_PAT_JWT } from "../../support/calendly-tokens.js";
import { envWorld } from "../../support/env-worlds.js";

const USER: CalendlyUserFact = {
  authenticated: true,
  user: {
    uri: "https://api.calendly.com/users/U1",
    name: "Acme Bookings",
    slug: "acme-bookings",
    email: "ops@example.com",
    scheduling_url: "https://calendly.com/acme-bookings",
    current_organization: "https://api.calendly.com/organizations/O1",
  },
};
const other = (slug: string): CalendlyUserFact => ({ authenticated: true, user: { ...USER.user, slug, scheduling_url: `https://calendly.com/${slug}` } } as CalendlyUserFact);

checkTester(check, {
  pass: [
    { name: "token of CALENDLY_USERNAME", facts: { ...envWorld(), calendlyUser: USER } },
    { name: "slug compared without regard to case", facts: { ...envWorld({ CALENDLY_USERNAME: "Acme-Bookings" }), calendlyUser: USER } },
    { name: "a personal access token (JWT typed PAT)", facts: { ...envWorld({ CALENDLY_API_TOKEN: CALENDLY_PAT_JWT }), calendlyUser: USER }, messageId: "accepted" },
    { name: "an OAuth token: accepted, and says Calendly signs with the app's key", facts: { ...envWorld({ CALENDLY_API_TOKEN: CALENDLY_OAUTH_JWT }), calendlyUser: USER }, messageId: "acceptedOauth" },
  ],
  fail: [
    {
      name: "token refused (401)",
      facts: { ...envWorld(), calendlyUser: { authenticated: false, status: 401, reason: "calendly GET /users/me answered 401: Unauthenticated" } },
      expect: { status: "fail", messageId: "tokenInvalid", data: { status: 401 } },
    },
    {
      name: "token not allowed to read its user (403)",
      facts: { ...envWorld(), calendlyUser: { authenticated: false, status: 403, reason: "calendly GET /users/me answered 403: Permission Denied" } },
      expect: { status: "fail", messageId: "tokenCannotReadUser", data: { status: 403 } },
    },
    {
      name: "token of another user",
      facts: { ...envWorld(), calendlyUser: other("someone-else") },
      expect: { status: "fail", messageId: "otherUser", data: { slug: "someone-else", expected: "acme-bookings" } },
    },
  ],
});
