import check from "../../../checks/deployment/expected-commit.js";
import { checkTester } from "../../support/check-tester.js";
import { deployment, sha, vercel } from "./fixtures.js";

const expecting = (expectCommit: string | null) => ({ verifyOptions: { expectCommit, sendTestEvents: false } });

checkTester(check, {
  pass: [
    { name: "the full sha", facts: { ...vercel(), ...expecting(sha(3)) }, messageId: "expectedCommit" },
    { name: "an abbreviated sha, any case", facts: { ...vercel(), ...expecting(sha(3).slice(0, 7).toUpperCase()) } },
  ],
  fail: [
    { name: "no --expect-commit", facts: { ...vercel(), ...expecting(null) }, expect: { status: "skip", messageId: "noExpectedCommit" } },
    { name: "another commit", facts: { ...vercel(), ...expecting(sha(4)) }, expect: { status: "fail", messageId: "otherCommit", data: { actual: sha(3).slice(0, 12), expected: sha(4).slice(0, 12) } } },
    { name: "rolled back: production serves the previous commit", facts: { ...vercel({ current: deployment(2) }), ...expecting(sha(3)) }, expect: { status: "fail", messageId: "otherCommit", data: { actual: sha(2).slice(0, 12) } } },
    { name: "a deployment without a commit", facts: { ...vercel({ current: deployment(3, { commitSha: null }) }), ...expecting(sha(3)) }, expect: { status: "fail", messageId: "noCommitRecorded" } },
    { name: "a longer sha than the deployment's is not a match", facts: { ...vercel({ current: deployment(3, { commitSha: sha(3).slice(0, 12) }) }), ...expecting(`${sha(3).slice(0, 12)}ff`) }, expect: { status: "fail", messageId: "otherCommit" } },
  ],
});
