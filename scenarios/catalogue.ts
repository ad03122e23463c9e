/**
 * The scenarios by name, with one line each: what `bookflow scenarios --help`
 * and `bookflow verify --help` list. Kept free of imports so that command
 * registration (every start-up) reads it without loading a scenario;
 * test/scenarios/catalogue.test.ts checks it against scenarios/index.ts (same
 * names, same order) and each scenario against its file, docs and tests.
 */
export interface ScenarioEntry {
  /** The scenario's file name under scenarios/ (its id is `scenarios.<name>`). */
  name: string;
  /** One line for the help text: who does what, and what is asserted. */
  summary: string;
}

export const SCENARIO_CATALOGUE: readonly ScenarioEntry[] = [
  { name: "free-session", summary: "anonymous visitor books a free session: CONFIRMED/NOT_REQUIRED, confirmation email" },
  { name: "paid-session", summary: "a user books and pays through Stripe Checkout: CONFIRMED/PAID, confirmation and receipt emails" },
  { name: "cancellation", summary: "a paid booking cancelled through Calendly: invitee.canceled processed, CANCELLED (REFUNDED by policy)" },
  { name: "webhook-processing", summary: "invitee.created and checkout.session.completed PROCESSED; database, Calendly and Stripe agree" },
  { name: "reschedule", summary: "a paid booking moved in Calendly: same booking at the new time, still PAID, one rescheduled email, no refund" },
  { name: "abandoned-checkout", summary: "a Checkout session expires unpaid: CANCELLED/UNPAID, Calendly slot released, cancellation email" },
  { name: "refund-outside-bookflow", summary: "a payment refunded in the Stripe dashboard: charge.refunded reaches the booking (CONFIRMED/REFUNDED)" },
];

export const SCENARIO_NAMES: readonly string[] = SCENARIO_CATALOGUE.map((s) => s.name);

const COUNT_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

/** "the four scenarios", "all four": how many there are, in words while that reads well. */
export function scenarioCount(): string {
  return COUNT_WORDS[SCENARIO_CATALOGUE.length] ?? String(SCENARIO_CATALOGUE.length);
}

/** The help text's list: one line per scenario, names aligned. */
export function scenarioHelpLines(indent = "  "): string {
  const width = Math.max(...SCENARIO_CATALOGUE.map((s) => s.name.length)) + 3;
  return SCENARIO_CATALOGUE.map((s) => `${indent}${s.name.padEnd(width)}${s.summary}`).join("\n");
}
