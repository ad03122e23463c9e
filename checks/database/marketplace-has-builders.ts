import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "database.marketplace-has-builders",
  section: "database",
  title: "At least one builder is visible in the marketplace with an active session type",
  severity: "error",
  needs: ["database.connects"],
  facts: ["config", "builderProfiles"],
  docs: {
    why: "The marketplace lists visible builders with their active session types: with none, visitors land on an empty page and nobody can book.",
    fix: "Make a builder visible (BuilderProfile.visible = true) and give them an active session type, or seed the database (`bookflow db seed`). The minimum is seed.minVisibleBuilders in bookflow.config.json (default 1).",
  },
  messages: {
    enoughBuilders: "{{builders}} in the marketplace: {{slugs}} (at least {{min}} required)",
    noneRequired: "{{builders}} in the marketplace (at least {{min}} required)",
    noBuilderProfiles: "{{builders}} in the marketplace, at least {{min}} required: there are no builder profiles",
    noneVisible: "{{builders}} in the marketplace, at least {{min}} required: none of {{profiles}} builder profiles is visible",
    withoutSessionTypes: "{{builders}} in the marketplace, at least {{min}} required: {{visible}} visible, {{withoutSessionTypes}} of them without an active session type",
  },
  run({ config, builderProfiles }) {
    const min = config.seed.minVisibleBuilders;
    const visible = builderProfiles.filter((b) => b.visible);
    const listed = visible.filter((b) => b.activeSessionTypes > 0);
    const builders = `${listed.length} builder${listed.length === 1 ? "" : "s"}`;
    if (listed.length >= min) return listed.length ? pass("enoughBuilders", { builders, slugs: listed.map((b) => b.slug).join(", "), min }) : pass("noneRequired", { builders, min });
    const extra = {
      expected: `≥ ${min} visible builders with an active session type`,
      actual: builderProfiles.map((b) => ({ slug: b.slug, visible: b.visible, activeSessionTypes: b.activeSessionTypes })),
    };
    if (builderProfiles.length === 0) return fail("noBuilderProfiles", { builders, min }, extra);
    if (visible.length === 0) return fail("noneVisible", { builders, min, profiles: builderProfiles.length }, extra);
    return fail("withoutSessionTypes", { builders, min, visible: visible.length, withoutSessionTypes: visible.length - listed.length }, extra);
  },
});
