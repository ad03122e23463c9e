import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { FactStore, gatherers } from "../../src/engine/facts/index.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";

const API_KEY = "SG.FAKE-facts-test.key-value";
const SENDING_DOMAIN = "bookings.example.net";

describe("SendGrid domain facts on an account with more authenticated domains than one page (against the emulator)", () => {
  let emulator: SendGridEmulator;
  beforeAll(async () => {
    // 120 domains; the sending domain is the last one, past the first page of any page size up to 119.
    const domains = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, domain: i === 119 ? SENDING_DOMAIN : `d${i + 1}.example.org`, subdomain: `em${i + 1}`, valid: true }));
    emulator = await startSendGridEmulator({ apiKey: API_KEY, domains, verifiedSenders: [] });
  });
  afterAll(async () => emulator?.close());

  const store = () =>
    new FactStore(
      { env: { SENDGRID_API_KEY: API_KEY, SENDGRID_API_BASE: emulator.url, SENDGRID_FROM_EMAIL: `hello@${SENDING_DOMAIN}` }, target: "production", config: defaultConfig(), signal: new AbortController().signal },
      gatherers,
    );

  it("finds the sending domain on a later page and validates it", async () => {
    const facts = store();
    const [senders, validation] = await Promise.all([facts.get("sendgridSenders"), facts.get("sendgridDomainValidation")]);
    expect(senders.domains).toHaveLength(120);
    expect(validation.authenticatedDomain).toEqual({ id: 120, domain: SENDING_DOMAIN });
    expect(validation.validation?.valid).toBe(true);
  });
});
