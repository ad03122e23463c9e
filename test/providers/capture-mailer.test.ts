import { describe, expect, it } from "vitest";
import type { Mailer, OutgoingEmail } from "../../src/core/ports.js";
import { ProviderError } from "../../src/errors.js";
import { CaptureMailer } from "../../src/providers/capture-mailer.js";

const fixedClock = { now: () => new Date("2025-06-15T12:00:00.000Z") };

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    to: "ana@example.com",
    subject: "Your booking is confirmed",
    text: "See you soon.",
    html: "<p>See you soon.</p>",
    idempotencyKey: "bk_1:CONFIRMATION",
    tags: { booking_id: "bk_1", kind: "CONFIRMATION" },
    ...overrides,
  };
}

describe("CaptureMailer", () => {
  it("is a Mailer that keeps every message with its own provider id", async () => {
    const mailer = new CaptureMailer({ clock: fixedClock });
    const asPort: Mailer = mailer;
    const first = await asPort.send(email());
    const second = await asPort.send(
      email({ to: "bo@example.com", templateId: "d-123", dynamicData: { name: "Bo" }, idempotencyKey: "bk_2:CONFIRMATION", html: undefined }),
    );
    expect(first).toEqual({ providerMessageId: "capture-1" });
    expect(second).toEqual({ providerMessageId: "capture-2" });
    expect(mailer.messages).toEqual([
      {
        to: "ana@example.com",
        subject: "Your booking is confirmed",
        text: "See you soon.",
        html: "<p>See you soon.</p>",
        templateId: undefined,
        dynamicData: undefined,
        tags: { booking_id: "bk_1", kind: "CONFIRMATION" },
        idempotencyKey: "bk_1:CONFIRMATION",
        providerMessageId: "capture-1",
        sentAt: new Date("2025-06-15T12:00:00.000Z"),
      },
      expect.objectContaining({ to: "bo@example.com", templateId: "d-123", dynamicData: { name: "Bo" }, html: undefined, providerMessageId: "capture-2" }),
    ]);
    expect(mailer.attempts).toBe(2);
  });

  it("keeps a copy, so the caller changing its objects later does not rewrite history", async () => {
    const mailer = new CaptureMailer();
    const data: Record<string, unknown> = { items: ["a"] };
    const tags: Record<string, string> = { kind: "REMINDER" };
    await mailer.send(email({ dynamicData: data, tags }));
    (data.items as string[]).push("b");
    tags.kind = "CHANGED";
    expect(mailer.messages[0]?.dynamicData).toEqual({ items: ["a"] });
    expect(mailer.messages[0]?.tags).toEqual({ kind: "REMINDER" });
  });

  it("records duplicates: de-duplication is the sender's job, and tests must be able to see it fail", async () => {
    const mailer = new CaptureMailer();
    await mailer.send(email());
    await mailer.send(email());
    expect(mailer.messages.map((m) => m.idempotencyKey)).toEqual(["bk_1:CONFIRMATION", "bk_1:CONFIRMATION"]);
  });

  it("finds messages by recipient, ignoring case", async () => {
    const mailer = new CaptureMailer();
    await mailer.send(email({ to: "Ana@Example.com" }));
    await mailer.send(email({ to: "bo@example.com" }));
    expect(mailer.sentTo("ana@example.com").map((m) => m.to)).toEqual(["Ana@Example.com"]);
  });

  it("fails the next n sends, then works again", async () => {
    const mailer = new CaptureMailer().failNext(2);
    await expect(mailer.send(email())).rejects.toBeInstanceOf(ProviderError);
    await expect(mailer.send(email())).rejects.toMatchObject({ provider: "capture", status: 503 });
    await expect(mailer.send(email())).resolves.toEqual({ providerMessageId: "capture-1" });
    expect(mailer.messages).toHaveLength(1);
    expect(mailer.attempts).toBe(3);
  });

  it("fails with the error it is given", async () => {
    const boom = new Error("quota exceeded");
    const mailer = new CaptureMailer().failNext(1, boom);
    await expect(mailer.send(email())).rejects.toBe(boom);
  });

  it("fails every send while failAll is on, and stops when it is turned off", async () => {
    const mailer = new CaptureMailer().failAll(true);
    for (let i = 0; i < 3; i += 1) await expect(mailer.send(email())).rejects.toBeInstanceOf(ProviderError);
    expect(mailer.messages).toHaveLength(0);
    mailer.failAll(false);
    await expect(mailer.send(email())).resolves.toEqual({ providerMessageId: "capture-1" });
  });

  it("uses failNext errors before the failAll one", async () => {
    const first = new Error("first");
    const always = new Error("always");
    const mailer = new CaptureMailer().failAll(true, always).failNext(1, first);
    await expect(mailer.send(email())).rejects.toBe(first);
    await expect(mailer.send(email())).rejects.toBe(always);
  });

  it("clear() forgets messages, attempts and planned failures, but ids keep counting", async () => {
    const mailer = new CaptureMailer();
    await mailer.send(email());
    mailer.failNext(5).failAll(true);
    mailer.clear();
    expect(mailer.messages).toEqual([]);
    expect(mailer.attempts).toBe(0);
    await expect(mailer.send(email())).resolves.toEqual({ providerMessageId: "capture-2" });
  });
});
