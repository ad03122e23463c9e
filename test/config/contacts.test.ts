import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultConfig, loadBookflowConfig } from "../../src/config/bookflow-config.js";
import { ConfigError } from "../../src/errors.js";
import { tempDir } from "../support/cli.js";

/** bookflow.config.json's emergency contacts: read as written, and each bad entry refused by name. */

function load(contacts: unknown): ReturnType<typeof loadBookflowConfig> {
  const dir = tempDir("bookflow-contacts-");
  const file = join(dir, "bookflow.config.json");
  writeFileSync(file, JSON.stringify({ contacts }));
  return loadBookflowConfig(file, dir);
}

function refusal(contacts: unknown): string {
  try {
    load(contacts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(contacts)}`);
}

describe("emergency contacts", () => {
  it("default to none", () => {
    expect(defaultConfig().contacts).toEqual([]);
  });

  it("are read with their role, name and ways to reach them", () => {
    const contacts = [
      { role: "stripe", name: "Stripe Support", url: "https://support.stripe.com", when: "payment issues" },
      { role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100", email: "oncall@example.com" },
    ];
    expect(load(contacts).config.contacts).toEqual(contacts);
  });

  it("an unknown role, a contact with no way to reach them, a bad email, phone or URL, and an unknown field are each refused by name", () => {
    expect(refusal([{ role: "boss", name: "Ann", email: "ann@example.com" }])).toMatch(/contacts\.0\.role: must be one of calendly, stripe, sendgrid, database, vercel, on-call, other, not "boss"/);
    expect(refusal([{ role: "database", name: "DBA" }])).toMatch(/contacts\.0: needs a way to reach them: email, phone or url/);
    expect(refusal([{ role: "sendgrid", name: "SG", email: "not-an-address" }])).toMatch(/contacts\.0\.email: must be an email address/);
    expect(refusal([{ role: "sendgrid", name: "SG", phone: "call me" }])).toMatch(/contacts\.0\.phone: must be a phone number/);
    expect(refusal([{ role: "vercel", name: "Vercel", url: "ftp://vercel.com" }])).toMatch(/contacts\.0\.url: must be an http\(s\) URL/);
    expect(refusal([{ role: "calendly", name: " ", url: "https://help.calendly.com" }])).toMatch(/contacts\.0\.name: must name the person or desk/);
    expect(refusal([{ role: "calendly", name: "Calendly", url: "https://help.calendly.com", pager: "x" }])).toMatch(/contacts\.0.*pager/);
  });
});
