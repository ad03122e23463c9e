import { z } from "zod";
import { UsageError } from "../errors.js";
import type { Faults } from "./emulator-server.js";

/**
 * `--faults` for `bookflow sandbox`: per emulator, a comma-separated list.
 *   calendly:latency=300,429=0.1;stripe:5xx=0.05,drop=0.01;all:latency=50
 * Keys: latency (ms), 429 (share), retry-after (s), 5xx (share), drop (share), malformed (share).
 * Each emulator answers an injected 429 or 5xx in its provider's error shape where it has one
 * (`faultAnswer` of `startEmulator`; Stripe: `{ error: { type, code?, message } }`).
 */
export const EMULATOR_NAMES = ["calendly", "stripe", "sendgrid", "vercel"] as const;
export type EmulatorName = (typeof EMULATOR_NAMES)[number];

const share = z.coerce.number().min(0).max(1);
const keys = {
  latency: ["latencyMs", z.coerce.number().int().min(0).max(60_000)],
  "429": ["rate429", share],
  "retry-after": ["retryAfterSeconds", z.coerce.number().int().min(0).max(3600)],
  "5xx": ["rate5xx", share],
  drop: ["rateDrop", share],
  malformed: ["rateMalformed", share],
} as const;

export function parseFaultsSpec(spec: string): Partial<Record<EmulatorName, Faults>> {
  const out: Partial<Record<EmulatorName, Faults>> = {};
  for (const part of spec.split(";").map((p) => p.trim()).filter(Boolean)) {
    const colon = part.indexOf(":");
    if (colon < 0) throw bad(`"${part}" has no emulator name`);
    const name = part.slice(0, colon).trim();
    const targets: EmulatorName[] = name === "all" ? [...EMULATOR_NAMES] : EMULATOR_NAMES.includes(name as EmulatorName) ? [name as EmulatorName] : [];
    if (!targets.length) throw bad(`unknown emulator "${name}" (expected one of ${EMULATOR_NAMES.join(", ")}, or all)`);
    const faults: Faults = {};
    for (const pair of part.slice(colon + 1).split(",").map((p) => p.trim()).filter(Boolean)) {
      const [k, v] = pair.split("=").map((x) => x.trim());
      const entry = keys[k as keyof typeof keys];
      if (!entry || v === undefined) throw bad(`"${pair}" is not key=value with a key among ${Object.keys(keys).join(", ")}`);
      const parsed = entry[1].safeParse(v);
      if (!parsed.success) throw bad(`${k}=${v}: ${k === "latency" || k === "retry-after" ? "must be a whole number" : "must be a share between 0 and 1"}`);
      (faults as Record<string, number>)[entry[0]] = parsed.data;
    }
    for (const t of targets) out[t] = { ...(out[t] ?? {}), ...faults };
  }
  return out;
}

function bad(detail: string): UsageError {
  return new UsageError(
    `Invalid --faults: ${detail}.`,
    'Example: --faults "calendly:latency=300,429=0.1;stripe:5xx=0.05". Keys: latency (ms), 429, 5xx, drop, malformed (shares 0..1), retry-after (s).',
    "FAULTS_INVALID",
  );
}
