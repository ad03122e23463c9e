import type { ScenarioDefinition } from "../src/engine/scenarios/scenario.js";
import abandonedCheckout from "./abandoned-checkout.js";
import cancellation from "./cancellation.js";
import freeSession from "./free-session.js";
import paidSession from "./paid-session.js";
import refundOutsideBookflow from "./refund-outside-bookflow.js";
import reschedule from "./reschedule.js";
import webhookProcessing from "./webhook-processing.js";

/** Every scenario, the release checklist's four in its order, then the booking lifecycle's: what `bookflow scenarios run` runs by default. */
export const scenarios: readonly ScenarioDefinition[] = [freeSession, paidSession, cancellation, webhookProcessing, reschedule, abandonedCheckout, refundOutsideBookflow];
