import { DEFAULT_SEED } from "../../../src/db/seed-data.js";
import type { EmulatedEventTypeInput } from "../../../src/sandbox/calendly/emulator.js";

/** A token shaped like nothing else in the tests, so a leak is easy to spot. */
export const TEST_CALENDLY_TOKEN = "calendly_pat_TEST_9f8e7d6c5b4a_secret";

/** The seed's session types as Calendly event types, with their canonical URIs. */
export const SEED_EVENT_TYPES: EmulatedEventTypeInput[] = DEFAULT_SEED.builders.flatMap((b) =>
  b.sessionTypes.map((st) => ({
    uri: st.calendlyEventTypeUri,
    name: st.title,
    slug: st.calendlyEventTypeUri.split("/").pop()!,
    duration: st.durationMinutes,
    active: true,
  })),
);

export const INTRO_CALL = SEED_EVENT_TYPES[0]!;
