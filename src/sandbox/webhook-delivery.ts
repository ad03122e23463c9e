/**
 * Webhook delivery for every emulator that sends webhooks (Stripe, Calendly):
 * a JSON POST of the exact signed bytes, any 2xx is success, anything else (another
 * status, a redirect, a timeout, a refused connection) is retried after a back-off,
 * re-signed at each attempt. Only loopback hosts are reached unless the emulator
 * was started with `allowNonLoopback`: the sandbox never talks to the internet.
 *
 * What differs per provider is the protocol: how the signature is made, which
 * headers carry it, and how the back-off grows. The emulator passes that in.
 *
 * First attempts to one target go out one after another, in the order the events
 * happened; retries run on their own timers. `dispatch` resolves when the first
 * attempt to every target has finished (Calendly's `book()` waits for that;
 * Stripe's API answers without waiting). `idle()` resolves when nothing is in
 * flight or waiting for a retry; `close()` cancels both.
 */
import { randomBytes } from "node:crypto";
import { Agent, request } from "undici";
import { isLoopbackUrl, NOT_LOOPBACK } from "./loopback.js";

export interface DeliveryRecord {
  /** `del_…`, one per attempt. */
  id: string;
  eventId: string;
  eventType: string;
  /** The webhook endpoint / subscription the attempt went to. */
  targetId: string;
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

/** What makes one provider's deliveries that provider's. */
export interface DeliveryProtocol {
  /** Makes the signature header's value for these bytes at this time. */
  sign: (rawBody: string, secret: string, timestampSeconds: number) => string | Promise<string>;
  /** The request headers, given the signature. */
  headers: (signature: string) => Record<string, string>;
  /** Delay before retry `n` (1 for the first retry). */
  retryDelayMs: (retry: number) => number;
}

export interface DeliveryOptions {
  protocol: DeliveryProtocol;
  /** Retries after a failed first attempt. */
  retries: number;
  timeoutMs: number;
  /** Current time in milliseconds (the emulator's clock). */
  now: () => number;
  /** The target as it is when a retry comes due, or undefined when it can no longer receive (disabled, deleted, unsubscribed). */
  stillDeliverable: (targetId: string, eventType: string) => DeliveryTarget | undefined;
  /** Called after each attempt. */
  onAttempt?: (record: DeliveryRecord) => void;
  /** Called when the last attempt a delivery may make has failed (its retries ran out). */
  onGiveUp?: (record: DeliveryRecord) => void;
  /** Deliver to hosts other than loopback (default false: the sandbox never reaches the internet). */
  allowNonLoopback: boolean;
}

/** Exponential back-off: `base`, `2·base`, `4·base`, … */
export const exponentialBackoff = (baseMs: number) => (retry: number) => baseMs * 2 ** (retry - 1);
/** The same delay before every retry. */
export const constantBackoff = (delayMs: number) => () => delayMs;

export class WebhookDelivery {
  readonly log: DeliveryRecord[] = [];
  private pending = 0;
  private waiters: (() => void)[] = [];
  private chains = new Map<string, Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  private controllers = new Set<AbortController>();
  private closed = false;
  private readonly agent: Agent;

  constructor(private readonly options: DeliveryOptions) {
    this.agent = new Agent({ keepAliveTimeout: 1000, connect: { timeout: options.timeoutMs } });
  }

  /** Queues the event's first delivery to each target; resolves when those first attempts have finished. */
  dispatch(event: { id: string; type: string }, rawBody: string, targets: readonly DeliveryTarget[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    const firsts: Promise<void>[] = [];
    for (const target of targets) {
      this.pending++;
      const previous = this.chains.get(target.id) ?? Promise.resolve();
      const next = previous.then(() => this.attempt(event, rawBody, target, 1)).catch(() => this.done());
      this.chains.set(target.id, next);
      firsts.push(next);
      void next.then(() => {
        if (this.chains.get(target.id) === next) this.chains.delete(target.id);
      });
    }
    return Promise.all(firsts).then(() => undefined);
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get pendingCount(): number {
    return this.pending;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
    this.pending = 0;
    this.release();
    await this.agent.close().catch(() => undefined);
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

  /** Runs one attempt; when it fails and retries remain, schedules the next. Resolves after this attempt. */
  private async attempt(event: { id: string; type: string }, rawBody: string, target: DeliveryTarget, attempt: number): Promise<void> {
    if (this.closed) return;
    const record = await this.send(event, rawBody, target, attempt);
    if (this.closed) return;
    this.log.push(record);
    this.options.onAttempt?.(record);
    if (record.ok || attempt > this.options.retries) {
      if (!record.ok) this.options.onGiveUp?.(record);
      this.done();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const current = this.options.stillDeliverable(target.id, event.type);
      if (!current || this.closed) {
        this.done();
        return;
      }
      void this.attempt(event, rawBody, current, attempt + 1);
    }, this.options.protocol.retryDelayMs(attempt));
    this.timers.add(timer);
  }

  private async send(event: { id: string; type: string }, rawBody: string, target: DeliveryTarget, attempt: number): Promise<DeliveryRecord> {
    const startedAt = this.options.now();
    const base = {
      id: `del_${randomBytes(10).toString("hex")}`,
      eventId: event.id,
      eventType: event.type,
      targetId: target.id,
      url: target.url,
      attempt,
      body: rawBody,
      at: new Date(startedAt).toISOString(),
    };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (!this.options.allowNonLoopback && !isLoopbackUrl(target.url)) {
      return { ...base, signature: "", status: null, ok: false, error: NOT_LOOPBACK, durationMs: 0 };
    }
    let signature = "";
    try {
      signature = await this.options.protocol.sign(rawBody, target.secret, Math.floor(startedAt / 1000));
    } catch (err) {
      return { ...base, signature, status: null, ok: false, error: `signing failed: ${errorMessage(err)}`, durationMs: elapsed() };
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    try {
      const response = await request(target.url, {
        method: "POST",
        headers: this.options.protocol.headers(signature),
        body: rawBody,
        dispatcher: this.agent,
        signal: controller.signal,
      });
      // Drain the answer so the connection can be reused; providers ignore its content.
      await response.body.dump().catch(() => undefined);
      const status = response.statusCode;
      const ok = status >= 200 && status < 300;
      return { ...base, signature, status, ok, ...(ok ? {} : { error: `answered ${status}` }), durationMs: elapsed() };
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
    const code = (err as Error & { code?: unknown }).code;
    const cause = (err as Error & { cause?: unknown }).cause;
    const message = cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
    return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(err);
}
