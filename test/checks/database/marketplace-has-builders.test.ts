import check from "../../../checks/database/marketplace-has-builders.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import type { BuilderProfileRow } from "../../../src/engine/facts/database.js";
import { checkTester } from "../../support/check-tester.js";

const b = (slug: string, visible: boolean, activeSessionTypes: number): BuilderProfileRow => ({ slug, displayName: slug, visible, activeSessionTypes });
const config = defaultConfig();
const needing = (n: number) => ({ ...config, seed: { ...config.seed, minVisibleBuilders: n } });

checkTester(check, {
  pass: [
    { name: "two listed builders", facts: { config, builderProfiles: [b("ada", true, 2), b("grace", true, 2)] } },
    { name: "one listed, one hidden", facts: { config, builderProfiles: [b("ada", true, 1), b("hidden", false, 3)] } },
    { name: "no minimum configured", facts: { config: needing(0), builderProfiles: [] } },
  ],
  fail: [
    { name: "no builders", facts: { config, builderProfiles: [] }, expect: { status: "fail", message: /there are no builder profiles/ } },
    { name: "none visible", facts: { config, builderProfiles: [b("ada", false, 2), b("grace", false, 1)] }, expect: { status: "fail", message: /none of 2 builder profiles is visible/ } },
    { name: "visible but without an active session type", facts: { config, builderProfiles: [b("ada", true, 0)] }, expect: { status: "fail", message: /1 visible, 1 of them without an active session type/ } },
    { name: "fewer than the configured minimum", facts: { config: needing(3), builderProfiles: [b("ada", true, 1), b("grace", true, 1)] }, expect: { status: "fail", message: /^2 builders in the marketplace, at least 3 required/ } },
  ],
});
