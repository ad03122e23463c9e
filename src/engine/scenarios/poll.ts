import { formatDuration } from "../report.js";
import { StepFailure } from "./scenario.js";

/**
 * Bounded polls: a scenario waits for the app (a webhook to land, an email to
 * go out) by asking again until the answer is there or the time is up. A
 * timeout is a StepFailure whose message is the last state seen plus whatever
 * explains it ("booking abc still PENDING/UNPAID after 10 s; last webhook:
 * invitee.created PROCESSED; Stripe checkout.session.completed: answered 401 (4 attempts)").
 */

export type Probe<T> =
  | { ok: true; value: T }
  /** Not there yet: `state` is what a timeout reports. `final`: it will not change by waiting (fail now). */
  | { ok: false; state: string; final?: boolean; expected?: unknown; actual?: unknown };

export const ready = <T>(value: T): Probe<T> => ({ ok: true, value });
export const notYet = (state: string, extra: { expected?: unknown; actual?: unknown } = {}): Probe<never> => ({ ok: false, state, ...extra });
/** A state waiting cannot change (e.g. the event was recorded HELD): the step fails at once. */
export const settledWrong = (state: string, extra: { expected?: unknown; actual?: unknown } = {}): Probe<never> => ({ ok: false, state, final: true, ...extra });

export interface PollOptions {
  timeoutMs: number;
  /** First pause between probes (doubling up to 250 ms). Default 25. */
  intervalMs?: number;
  /** More context for a timeout (the last webhook, the providers' delivery logs). Errors here are ignored. */
  explain?: () => Promise<string[]>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function poll<T>(probe: () => Promise<Probe<T>>, options: PollOptions): Promise<T> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  let pause = options.intervalMs ?? 25;
  for (;;) {
    const answer = await probe();
    if (answer.ok) return answer.value;
    const elapsed = now() - started;
    if (answer.final || elapsed >= options.timeoutMs) {
      const extra = options.explain ? await options.explain().catch((err: unknown) => [`(no more detail: ${err instanceof Error ? err.message : String(err)})`]) : [];
      const when = answer.final ? "" : ` after ${formatDuration(options.timeoutMs)}`;
      throw new StepFailure([`${answer.state}${when}`, ...extra].join("; "), { expected: answer.expected, actual: answer.actual });
    }
    await sleep(Math.min(pause, Math.max(1, options.timeoutMs - elapsed)));
    pause = Math.min(pause * 2, 250);
  }
}
