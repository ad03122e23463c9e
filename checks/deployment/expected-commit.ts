import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "deployment.expected-commit",
  section: "deployment",
  title: "The production deployment is built from the expected commit (--expect-commit)",
  severity: "error",
  needs: ["deployment.production-ready"],
  facts: ["vercelDeployments", "verifyOptions"],
  docs: {
    why: "A green deploy job does not mean production serves that build: a stuck promotion, a rollback left in place or a deploy from the wrong branch leaves users on other code than the release being verified.",
    fix: "Pass the released commit with `--expect-commit <sha>` (e.g. $GITHUB_SHA). If production serves another commit, promote the right deployment (`vercel promote <url>`), or undo a rollback; deploy from git so Vercel records the commit.",
  },
  messages: {
    noExpectedCommit: "No --expect-commit given: the production commit is not compared",
    noDeployment: "No production deployment to compare (see deployment.production-ready)",
    noCommitRecorded: "Production deployment {{deployment}} records no commit (not deployed from git)",
    otherCommit: "Production serves commit {{actual}}, expected {{expected}}",
    expectedCommit: "Production deployment {{deployment}} is commit {{commit}}",
  },
  run({ vercelDeployments: v, verifyOptions }) {
    const expected = verifyOptions.expectCommit?.toLowerCase();
    if (!expected) return skip("noExpectedCommit");
    if (v === null || v.current === null) return skip("noDeployment");
    const actual = v.current.commitSha?.toLowerCase() ?? null;
    if (actual === null) return fail("noCommitRecorded", { deployment: v.current.uid }, { expected, actual: null });
    const matches = expected.length >= actual.length ? expected === actual : actual.startsWith(expected);
    if (!matches) return fail("otherCommit", { actual: actual.slice(0, 12), expected: expected.slice(0, 12) }, { expected, actual, details: { deployment: v.current.uid } });
    return pass("expectedCommit", { deployment: v.current.uid, commit: actual.slice(0, 12) });
  },
});
