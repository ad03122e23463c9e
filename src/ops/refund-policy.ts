import { ConfigError } from "../errors.js";
import { DEFAULT_POLICY, type BookingPolicy } from "../core/ports.js";

/** The refund window from BOOKFLOW_REFUND_WINDOW_HOURS (default 24), as the app reads it. */
export function policyFromEnv(env: Record<string, string | undefined>): BookingPolicy {
  const raw = env.BOOKFLOW_REFUND_WINDOW_HOURS?.trim();
  if (!raw) return DEFAULT_POLICY;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) {
    throw new ConfigError(`BOOKFLOW_REFUND_WINDOW_HOURS is "${raw}", not a number of hours (0 or more).`, "Fix or unset it (default 24, as the app).", "CONFIG_INVALID");
  }
  return { refundWindowHours: hours };
}
