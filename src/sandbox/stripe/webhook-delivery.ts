/**
 * Delivers the Stripe emulator's events to webhook endpoints the way Stripe
 * does: a JSON POST signed with the endpoint's `whsec_` secret in the
 * `Stripe-Signature` header, any 2xx is success, anything else (another
 * status, a redirect, a timeout, a refused connection) is retried with
 * exponential back-off, re-signed at each attempt.
 *
 * First attempts to one endpoint go out one after another, in the order the
 * events happened; retries run on their own timers. `idle()` resolves when
 * nothing is in flight or waiting for a retry; `close()` cancels both.
 */
import { isLoopbackUrl, NOT_LOOPBACK } from "../loopback.js";
import { randomToken } from "./store.js";

export interface DeliveryRecord {
  /** `del_…`, one per attempt. */
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  url: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** HTTP status, or null when no answer came (refused, timed out, not allowed). */
  status: number | null;
  ok: boolean;
  error?: string;
  /** The body as sent (exactly the signed bytes). */
  body: string;
  signature: string;
  durationMs: number;
  /** When the attempt started, ISO 8601. */
  at: string;
}

export interface DeliveryTarget {
  id: string;
  url: string;
  secret: string;
}

export interface DeliveryOptions {
  /** Makes the `Stripe-Signature` header value. */
  sign: (rawBody: string, secret: string, timestampSeconds: number) => Promise<string>;
  /** Retries after a failed first attempt. */
  retries: number;
  /** Delay before the first retry; doubled for each next one. */
  retryDelayMs: number;
  timeoutMs: number;
  /** Current time in milliseconds (the emulator's clock). */
  now: () => number;
  /** Whether the endpoint can still receive (enabled, not deleted) when a retry comes due. */
  stillDeliverable: (endpointId: string, eventType: string) => DeliveryTarget | undefined;
  /** Called after each attempt (the emulator keeps `pending_webhooks` up to date). */
  onAttempt?: (record: DeliveryRecord) => void;
  /** Deliver to hosts other than loopback (default false: the sandbox never reaches the internet). */
  allowNonLoopback: boolean;
}

export class WebhookDelivery {
  readonly log: DeliveryRecord[] = [];
  private pending = 0;
  private waiters: (() => void)[] = [];
  private chains = new Map<string, Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  private controllers = new Set<AbortController>();
  private closed = false;

  constructor(private readonly options: DeliveryOptions) {}

  /** Queues the event's first delivery to each target; resolves once queued (not delivered). */
  dispatch(event: { id: string; type: string }, rawBody: string, targets: DeliveryTarget[]): void {
    if (this.closed) return;
    for (const target of targets) {
      this.pending++;
      const previous = this.chains.get(target.id) ?? Promise.resolve();
      const next = previous.then(() => this.attempt(event, rawBody, target, 1)).catch(() => this.done());
      this.chains.set(target.id, next);
      void next.then(() => {
        if (this.chains.get(target.id) === next) this.chains.delete(target.id);
      });
    }
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get pendingCount(): number {
    return this.pending;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
    this.pending = 0;
    this.release();
  }

  private release(): void {
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private done(): void {
    this.pending = Math.max(0, this.pending - 1);
    this.release();
  }

  private async attempt(event: { id: string; type: string }, rawBody: string, target: DeliveryTarget, attempt: number): Promise<void> {
    if (this.closed) return;
    const record = await this.send(event, rawBody, target, attempt);
    if (this.closed) return;
    this.log.push(record);
    this.options.onAttempt?.(record);
    if (record.ok || attempt > this.options.retries) {
      this.done();
      return;
    }
    const delay = this.options.retryDelayMs * 2 ** (attempt - 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const current = this.options.stillDeliverable(target.id, event.type);
      if (!current || this.closed) {
        this.done();
        return;
      }
      void this.attempt(event, rawBody, current, attempt + 1);
    }, delay);
    this.timers.add(timer);
  }

  private async send(event: { id: string; type: string }, rawBody: string, target: DeliveryTarget, attempt: number): Promise<DeliveryRecord> {
    const startedAt = this.options.now();
    const base = {
      id: `del_${randomToken(20)}`,
      eventId: event.id,
      eventType: event.type,
      endpointId: target.id,
      url: target.url,
      attempt,
      body: rawBody,
      at: new Date(startedAt).toISOString(),
    };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let signature = "";
    try {
      signature = await this.options.sign(rawBody, target.secret, Math.floor(startedAt / 1000));
    } catch (err) {
      return { ...base, signature, status: null, ok: false, error: `signing failed: ${errorMessage(err)}`, durationMs: elapsed() };
    }
    if (!this.options.allowNonLoopback && !isLoopbackUrl(target.url)) {
      return { ...base, signature, status: null, ok: false, error: NOT_LOOPBACK, durationMs: 0 };
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": signature,
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          accept: "*/*; q=0.5, application/xml",
        },
        body: rawBody,
        redirect: "manual",
        signal: controller.signal,
      });
      // Drain the answer so the connection can be reused; Stripe ignores its content.
      await response.arrayBuffer().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      return { ...base, signature, status: response.status, ok, ...(ok ? {} : { error: `answered ${response.status}` }), durationMs: elapsed() };
    } catch (err) {
      const reason = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason.message : errorMessage(err);
      return { ...base, signature, status: null, ok: false, error: reason, durationMs: elapsed() };
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
