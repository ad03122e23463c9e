import type { ScenarioDefinition } from "../src/engine/scenarios/scenario.js";
import cancellation from "./cancellation.js";
import freeSession from "./free-session.js";
import paidSession from "./paid-session.js";
import webhookProcessing from "./webhook-processing.js";

/** Every scenario, in the release checklist's order: what `bookflow scenarios run` runs by default. */
export const scenarios: readonly ScenarioDefinition[] = [freeSession, paidSession, cancellation, webhookProcessing];
