import check from "../../../checks/database/marketplace-has-builders.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import type { BuilderProfileRow } from "../../../src/engine/facts/database.js";
import { checkTester } from "../../support/check-tester.js";

const b = (slug: string, visible: boolean, activeSessionTypes: number): BuilderProfileRow => ({ slug, displayName: slug, visible, activeSessionTypes });
const config = defaultConfig();
const needing = (n: number) => ({ ...config, seed: { ...config.seed, minVisibleBuilders: n } });

checkTester(check, {
  pass: [
    { name: "two listed builders", facts: { config, builderProfiles: [b("ada", true, 2), b("grace", true, 2)] }, messageId: "enoughBuilders" },
    { name: "one listed, one hidden", facts: { config, builderProfiles: [b("ada", true, 1), b("hidden", false, 3)] } },
    { name: "no minimum configured", facts: { config: needing(0), builderProfiles: [] }, messageId: "noneRequired" },
  ],
  fail: [
    { name: "no builders", facts: { config, builderProfiles: [] }, expect: { status: "fail", messageId: "noBuilderProfiles" } },
    { name: "none visible", facts: { config, builderProfiles: [b("ada", false, 2), b("grace", false, 1)] }, expect: { status: "fail", messageId: "noneVisible", data: { profiles: 2 } } },
    { name: "visible but without an active session type", facts: { config, builderProfiles: [b("ada", true, 0)] }, expect: { status: "fail", messageId: "withoutSessionTypes", data: { visible: 1, withoutSessionTypes: 1 } } },
    { name: "fewer than the configured minimum", facts: { config: needing(3), builderProfiles: [b("ada", true, 1), b("grace", true, 1)] }, expect: { status: "fail", messageId: "withoutSessionTypes", data: { builders: "2 builders", min: 3 } } },
  ],
});
