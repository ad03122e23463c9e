import { expect } from "vitest";
import check from "../../../checks/env/calendly-well-formed.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "valid values", facts: envWorld(), messageId: "wellFormed" },
    { name: "username with dots and underscores", facts: envWorld({ CALENDLY_USERNAME: "acme_bookings.team" }) },
    { name: "JWT-shaped token", facts: envWorld({ CALENDLY_API_TOKEN: "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0IiwidHlwIjoiUEFUIiwiYWxnIjoiRVMyNTYifQ.FAKE.FAKE" }) },
  ],
  fail: [
    { name: "token with a space", facts: envWorld({ CALENDLY_API_TOKEN: "Bearer cal_pat_FAKEtoken0123456789" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("CALENDLY_API_TOKEN") }, notMessage: /cal_pat_FAKEtoken0123456789/ } },
    { name: "quoted token", facts: envWorld({ CALENDLY_API_TOKEN: "'cal_pat_FAKEtoken0123456789'" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("CALENDLY_API_TOKEN") } } },
    { name: "short token", facts: envWorld({ CALENDLY_API_TOKEN: "short" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("CALENDLY_API_TOKEN") } } },
    { name: "username as a URL", facts: envWorld({ CALENDLY_USERNAME: "https://calendly.com/acme" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("CALENDLY_USERNAME must be the slug") } } },
    { name: "short signing key", facts: envWorld({ CALENDLY_WEBHOOK_SIGNING_KEY: "abc" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("CALENDLY_WEBHOOK_SIGNING_KEY must be at least 8") } } },
    { name: "token not set (run alone)", facts: envWorld({ CALENDLY_API_TOKEN: undefined }), expect: { status: "skip", messageId: "notSet", data: { names: "CALENDLY_API_TOKEN" } } },
  ],
});
