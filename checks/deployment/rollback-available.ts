import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { VERCEL_NOT_CONFIGURED } from "./production-ready.js";

export default defineCheck({
  id: "deployment.rollback-available",
  section: "deployment",
  title: "An earlier READY production deployment exists to roll back to",
  severity: "error",
  needs: [],
  facts: ["vercelDeployments"],
  docs: {
    why: "If the release misbehaves, instant rollback points production back at an earlier READY deployment within seconds; without one, the only way back is a new build under pressure.",
    fix: "Keep the previous production deployment (do not delete it; check the project's deployment retention), or redeploy the last good commit to production before releasing. Hobby plans can roll back only to the immediately previous production deployment.",
  },
  messages: {
    notConfigured: `${VERCEL_NOT_CONFIGURED} (see deployment.production-ready)`,
    noRollbackTarget: "No READY production deployment older than {{current}} to roll back to",
    rollbackAvailable: "Can roll back to {{target}}; {{candidates}}",
  },
  run({ vercelDeployments: v }) {
    if (v === null) return skip("notConfigured");
    const current = v.current;
    const candidates = v.production.filter((d) => d.state === "READY" && d.uid !== current?.uid && (current === null || d.createdAt < current.createdAt));
    const target = candidates.sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!target) {
      return fail("noRollbackTarget", { current: current ? current.uid : "the current one" }, {
        expected: "an earlier READY production deployment",
        actual: v.production.map((d) => ({ uid: d.uid, state: d.state, createdAt: new Date(d.createdAt).toISOString() })),
      });
    }
    const age = current ? ` (${Math.max(1, Math.round((current.createdAt - target.createdAt) / 60_000))} min older)` : "";
    const rollbackTo = `${target.uid}${target.commitSha ? `, commit ${target.commitSha.slice(0, 7)}` : ""}${age}`;
    return pass("rollbackAvailable", { target: rollbackTo, candidates: `${candidates.length} READY candidate${candidates.length === 1 ? "" : "s"}` }, {
      details: { rollbackTo: target.uid, candidates: candidates.map((d) => d.uid) },
    });
  },
});
