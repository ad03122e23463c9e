import { expect } from "vitest";
import check from "../../../checks/env/urls-well-formed.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

const HTTP = {
  NEXT_PUBLIC_BASE_URL: "http://127.0.0.1:3000",
  CALENDLY_WEBHOOK_URL: "http://127.0.0.1:3000/api/webhooks/calendly",
  STRIPE_WEBHOOK_URL: "http://127.0.0.1:3000/api/webhooks/stripe",
};

checkTester(check, {
  pass: [
    { name: "https for production", facts: envWorld(), messageId: "allHttps" },
    { name: "https for staging", facts: envWorld({}, "staging"), messageId: "allHttps" },
    { name: "http allowed for the sandbox", facts: envWorld(HTTP, "sandbox"), messageId: "allValid" },
  ],
  fail: [
    { name: "http for production", facts: envWorld(HTTP), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("NEXT_PUBLIC_BASE_URL must use https") } } },
    { name: "http for staging", facts: envWorld({ STRIPE_WEBHOOK_URL: "http://staging.example.com/api/webhooks/stripe" }, "staging"), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("STRIPE_WEBHOOK_URL must use https") } } },
    { name: "not a URL", facts: envWorld({ CALENDLY_WEBHOOK_URL: "www.example.com/api/webhooks/calendly" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("CALENDLY_WEBHOOK_URL is not an absolute URL") } } },
    { name: "another scheme", facts: envWorld({ NEXT_PUBLIC_BASE_URL: "ftp://www.example.com" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("must be an https URL") } } },
    {
      name: "credentials in a URL are not echoed",
      facts: envWorld({ STRIPE_WEBHOOK_URL: "https://user:FAKEurlSecret99@www.example.com/api/webhooks/stripe" }),
      expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("must not carry credentials") }, notMessage: /FAKEurlSecret99/ },
    },
    { name: "a URL not set (run alone)", facts: envWorld({ STRIPE_WEBHOOK_URL: undefined }), expect: { status: "skip", messageId: "notSet", data: { names: "STRIPE_WEBHOOK_URL" } } },
  ],
});
