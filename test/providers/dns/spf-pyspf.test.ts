import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHost } from "../../../src/providers/dns/spf.js";
import { createDnsClient } from "../../../src/providers/dns/resolver.js";
import { startNsd, type RunningNsd } from "../../support/nsd.js";
import { SG_IP, SPF_CASES, SPF_ZONE, spfZones } from "./spf-cases.js";

/**
 * The cross-check: pyspf (Debian's python3-spf, an independent RFC 7208
 * implementation, run by /usr/bin/python3 — `python3` on PATH may be another
 * interpreter) evaluates the same NSD-served zones as bookflow. Each case must
 * get the RFC verdict from bookflow, and from pyspf too unless the case
 * records where pyspf departs from the RFC and why; a recorded departure that
 * pyspf no longer makes fails too, so the table stays true.
 */

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("../../support/python/pyspf_check.py", import.meta.url));

let nsd: RunningNsd;
let pyspf: Record<string, { result: string; explanation: string }>;

beforeAll(async () => {
  nsd = await startNsd(spfZones());
  const cases = SPF_CASES.map((c) => {
    const domain = `${c.id}.${SPF_ZONE}`;
    return { id: c.id, ip: c.ip ?? SG_IP, sender: `postmaster@${domain}`, helo: domain };
  });
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ server: "127.0.0.1", port: nsd.port, cases }), encoding: "utf8", timeout: 60_000 });
  if (run.error || run.status !== 0) throw new Error(`pyspf did not run (${PYTHON}: apt-get install python3-spf python3-dnspython; .ci/run installs them): ${run.error?.message ?? run.stderr}`);
  pyspf = JSON.parse(run.stdout) as typeof pyspf;
});

afterAll(async () => {
  await nsd?.stop();
});

describe("pyspf and bookflow on the same NSD-served zones", () => {
  for (const c of SPF_CASES) {
    it(`${c.id}: RFC 7208 ${c.section} says ${c.rfc}${c.pyspf ? `; pyspf says ${c.pyspf.result} (${c.pyspf.why})` : ""}`, async () => {
      const domain = `${c.id}.${SPF_ZONE}`;
      const dns = createDnsClient({ server: nsd.address, timeoutMs: 500, tries: 1 });
      const ours = await checkHost(c.ip ?? SG_IP, domain, `postmaster@${domain}`, domain, dns);
      expect(ours.result, "bookflow").toBe(c.rfc);
      const theirs = pyspf[c.id];
      expect(theirs, "pyspf answered").toBeDefined();
      expect(theirs!.result, `pyspf: ${theirs!.explanation}`).toBe(c.pyspf?.result ?? c.rfc);
    });
  }
});
