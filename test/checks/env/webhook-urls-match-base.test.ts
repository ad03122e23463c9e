import { expect } from "vitest";
import check from "../../../checks/env/webhook-urls-match-base.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "same host, expected paths", facts: envWorld() },
    { name: "trailing slash on a webhook path", facts: envWorld({ STRIPE_WEBHOOK_URL: "https://www.example.com/api/webhooks/stripe/" }) },
    {
      name: "sandbox on a port",
      facts: envWorld(
        { NEXT_PUBLIC_BASE_URL: "http://127.0.0.1:4100", CALENDLY_WEBHOOK_URL: "http://127.0.0.1:4100/api/webhooks/calendly", STRIPE_WEBHOOK_URL: "http://127.0.0.1:4100/api/webhooks/stripe" },
        "sandbox",
      ),
    },
  ],
  fail: [
    { name: "Calendly webhook on another host", facts: envWorld({ CALENDLY_WEBHOOK_URL: "https://old.example.com/api/webhooks/calendly" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("CALENDLY_WEBHOOK_URL is on old.example.com, not www.example.com") } } },
    { name: "apex instead of www", facts: envWorld({ STRIPE_WEBHOOK_URL: "https://example.com/api/webhooks/stripe" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("STRIPE_WEBHOOK_URL is on example.com") } } },
    { name: "wrong path", facts: envWorld({ STRIPE_WEBHOOK_URL: "https://www.example.com/api/stripe/webhook" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("STRIPE_WEBHOOK_URL path is /api/stripe/webhook, expected /api/webhooks/stripe") } } },
    { name: "paths swapped", facts: envWorld({ STRIPE_WEBHOOK_URL: "https://www.example.com/api/webhooks/calendly" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("STRIPE_WEBHOOK_URL path") } } },
    { name: "different port", facts: envWorld({ CALENDLY_WEBHOOK_URL: "https://www.example.com:8443/api/webhooks/calendly" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("CALENDLY_WEBHOOK_URL is on www.example.com:8443") } } },
  ],
});
