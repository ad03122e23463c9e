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
  run({ config, builderProfiles }) {
    const min = config.seed.minVisibleBuilders;
    const visible = builderProfiles.filter((b) => b.visible);
    const listed = visible.filter((b) => b.activeSessionTypes > 0);
    if (listed.length >= min) {
      return pass(`${listed.length} builder${listed.length === 1 ? "" : "s"} in the marketplace${listed.length ? `: ${listed.map((b) => b.slug).join(", ")}` : ""} (at least ${min} required)`);
    }
    const why =
      builderProfiles.length === 0
        ? "there are no builder profiles"
        : visible.length === 0
          ? `none of ${builderProfiles.length} builder profiles is visible`
          : `${visible.length} visible, ${visible.length - listed.length} of them without an active session type`;
    return fail(`${listed.length} builder${listed.length === 1 ? "" : "s"} in the marketplace, at least ${min} required: ${why}`, {
      expected: `≥ ${min} visible builders with an active session type`,
      actual: builderProfiles.map((b) => ({ slug: b.slug, visible: b.visible, activeSessionTypes: b.activeSessionTypes })),
    });
  },
});
