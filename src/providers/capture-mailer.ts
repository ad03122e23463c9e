/**
 * A Mailer that keeps every message in memory instead of sending it: for the
 * sandbox, local runs (BOOKFLOW_MAILER=capture) and tests. It can be told to
 * fail, to exercise retry and failure paths.
 */
import { systemClock, type Clock, type Mailer, type OutgoingEmail } from "../core/ports.js";
import { ProviderError } from "../errors.js";

export interface CapturedEmail {
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
  templateId: string | undefined;
  dynamicData: Record<string, unknown> | undefined;
  tags: Record<string, string> | undefined;
  idempotencyKey: string;
  /** `capture-<n>`, counting from 1 for the life of this mailer (clear() does not reset it). */
  providerMessageId: string;
  sentAt: Date;
}

export interface CaptureMailerOptions {
  clock?: Clock;
}

export class CaptureMailer implements Mailer {
  /** Every message sent successfully, oldest first. */
  readonly messages: CapturedEmail[] = [];
  /** Every call to send(), including the ones made to fail. */
  attempts = 0;

  private readonly clock: Clock;
  private counter = 0;
  private failures: Error[] = [];
  private failEvery: Error | null = null;

  constructor(options: CaptureMailerOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async send(email: OutgoingEmail): Promise<{ providerMessageId: string | null }> {
    this.attempts += 1;
    const failure = this.failures.shift() ?? this.failEvery;
    if (failure) throw failure;
    this.counter += 1;
    const providerMessageId = `capture-${this.counter}`;
    // Copies, so later changes by the caller cannot rewrite what was "sent".
    this.messages.push({
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      templateId: email.templateId,
      dynamicData: email.dynamicData === undefined ? undefined : structuredClone(email.dynamicData),
      tags: email.tags === undefined ? undefined : { ...email.tags },
      idempotencyKey: email.idempotencyKey,
      providerMessageId,
      sentAt: this.clock.now(),
    });
    return { providerMessageId };
  }

  /** The next `count` sends throw `error` (a ProviderError by default), then sending works again. */
  failNext(count: number, error?: Error): this {
    for (let i = 0; i < count; i += 1) this.failures.push(error ?? simulatedFailure());
    return this;
  }

  /** While on, every send throws `error` (a ProviderError by default); failNext errors are used first. */
  failAll(on: boolean, error?: Error): this {
    this.failEvery = on ? (error ?? simulatedFailure()) : null;
    return this;
  }

  /** Messages sent to one address. */
  sentTo(address: string): CapturedEmail[] {
    return this.messages.filter((m) => m.to.toLowerCase() === address.toLowerCase());
  }

  /** Forgets the captured messages, the attempt count and any planned failures. */
  clear(): void {
    this.messages.length = 0;
    this.attempts = 0;
    this.failures = [];
    this.failEvery = null;
  }
}

function simulatedFailure(): ProviderError {
  return new ProviderError("capture", "send", "simulated mail provider failure", 503);
}
