import type { MonitorAlert } from "./monitor-state.js";

/**
 * Delivering a state-change alert: to a Slack-compatible incoming webhook
 * (POST JSON {text, blocks}), retried with a growing pause; a delivery that
 * still fails is reported to the caller, never thrown.
 */

export interface AlertDelivery {
  ok: boolean;
  attempts: number;
  /** Why the last attempt failed. */
  error?: string;
}

export interface DeliverOptions {
  attempts?: number;
  /** Pause before the second attempt, doubled each time. */
  backoffMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each failed attempt, for the log. */
  onRetry?: (attempt: number, error: string) => void;
}

/** The webhook body: Slack's incoming-webhook message (text, plus one section block in mrkdwn). */
export function slackBody(alert: MonitorAlert, redact: (text: string) => string): { text: string; blocks: unknown[] } {
  const text = redact(alert.text);
  const lines = alert.failing.map((c) => `• \`${c.id}\` (${c.status}): ${c.message}`);
  const heading = alert.kind === "failing" ? ":red_circle: *bookflow monitor: failing*" : ":large_green_circle: *bookflow monitor: recovered*";
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: redact([heading, ...lines].join("\n")).slice(0, 3000) } }] };
}

export async function deliverToWebhook(url: string, body: unknown, options: DeliverOptions = {}): Promise<AlertDelivery> {
  const attempts = options.attempts ?? 3;
  let pause = options.backoffMs ?? 1000;
  let error = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt };
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
    }
    if (attempt < attempts) {
      options.onRetry?.(attempt, error);
      if (options.signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause *= 2;
    }
  }
  return { ok: false, attempts, error };
}
