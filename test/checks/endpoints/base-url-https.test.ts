import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/endpoints/base-url-https.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import { FactStore, gatherers } from "../../../src/engine/facts/index.js";
import { checkTester, decide } from "../../support/check-tester.js";
import { answer, endpointProbes, endpointsWorld, noAnswer, withThresholds } from "./probe-worlds.js";

const SANDBOX_URL = "http://127.0.0.1:4100/";
const DAY = 86_400_000;
/** A base URL answering 200 over https with a valid certificate expiring `days` from now (plus an hour, so the day count is stable). */
const expiringIn = (days: number, extra: Partial<ReturnType<typeof answer>> = {}) =>
  endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(200, { tls: { valid: true, validTo: new Date(Date.now() + days * DAY + 3_600_000).toISOString() }, ...extra }) } });

checkTester(check, {
  pass: [
    { name: "https, valid certificate, 404 at the root", facts: endpointsWorld(), messageId: "httpsCertificateDaysLeft" },
    { name: "https, 200", facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(200) } })), messageId: "httpsCertificateDaysLeft" },
    { name: "plain http for --target sandbox", facts: endpointsWorld(endpointProbes({ base: { probed: true, url: SANDBOX_URL, result: answer(404, { url: SANDBOX_URL }) } }), "sandbox"), messageId: "plainHttpSandbox" },
    { name: "certificate valid for 30 more days (threshold 14)", facts: endpointsWorld(expiringIn(30)), messageId: "httpsCertificateDaysLeft" },
    { name: "certificate valid for 14 more days (threshold 14)", facts: endpointsWorld(expiringIn(14)), messageId: "httpsCertificateDaysLeft" },
    { name: "certificateExpiryDays 0: a certificate expiring tomorrow is only noted", facts: endpointsWorld(expiringIn(1), "production", withThresholds({ certificateExpiryDays: 0 })), messageId: "httpsCertificateDaysLeft" },
    { name: "an answer in 1900 ms (httpLatencyMs 2000)", facts: endpointsWorld(expiringIn(90, { latencyMs: 1900 })), messageId: "httpsCertificateDaysLeft" },
    { name: "an answer in 2500 ms with httpLatencyMs 5000", facts: endpointsWorld(expiringIn(90, { latencyMs: 2500 }), "production", withThresholds({ httpLatencyMs: 5000 })), messageId: "httpsCertificateDaysLeft" },
    {
      name: "https, a valid certificate whose expiry is unknown",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(200, { tls: { valid: true } }) } })),
      messageId: "https",
    },
    {
      name: "https, a valid certificate with an unreadable expiry",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(200, { tls: { valid: true, validTo: "expiry unknown" } }) } })),
      messageId: "httpsCertificateValidTo",
    },
  ],
  fail: [
    {
      name: "expired certificate",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: noAnswer("CERT_HAS_EXPIRED: certificate has expired", { tls: { valid: false, error: "CERT_HAS_EXPIRED" } }) } })),
      expect: { status: "fail", messageId: "invalidCertificate", data: { error: expect.stringContaining("CERT_HAS_EXPIRED") } },
    },
    {
      name: "self-signed certificate",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: noAnswer("self-signed certificate", { tls: { valid: false, error: "DEPTH_ZERO_SELF_SIGNED_CERT" } }) } })),
      expect: { status: "fail", messageId: "invalidCertificate", data: { error: expect.stringContaining("DEPTH_ZERO_SELF_SIGNED_CERT") } },
    },
    {
      name: "connection refused",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: noAnswer() } })),
      expect: { status: "fail", messageId: "noAnswer", data: { url: "https://www.example.com/", error: expect.stringContaining("ECONNREFUSED") } },
    },
    { name: "server error", facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(502) } })), expect: { status: "fail", messageId: "deploymentFailing", data: { status: 502 } } },
    {
      name: "plain http for production",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "http://www.example.com/", result: answer(200, { url: "http://www.example.com/" }) } })),
      expect: { status: "fail", messageId: "plainHttp", data: { target: "production" } },
    },
    { name: "base URL not set", facts: endpointsWorld(endpointProbes({ base: { probed: false, reason: "NEXT_PUBLIC_BASE_URL is not set" } })), expect: { status: "fail", messageId: "notProbed", data: { reason: expect.stringContaining("NEXT_PUBLIC_BASE_URL is not set") } } },
    { name: "certificate expires in 3 days (threshold 14)", facts: endpointsWorld(expiringIn(3)), expect: { status: "warn", messageId: "certificateExpiring", data: { expiresIn: "in 3 days", validTo: expect.stringMatching(/^\d{4}-\d\d-\d\d$/), expiryDays: 14 } } },
    { name: "certificate expires in 13 days (threshold 14)", facts: endpointsWorld(expiringIn(13)), expect: { status: "warn", messageId: "certificateExpiring", data: { expiresIn: "in 13 days" } } },
    { name: "certificate expires within the day", facts: endpointsWorld(expiringIn(0)), expect: { status: "warn", messageId: "certificateExpiring", data: { expiresIn: "within a day" } } },
    {
      name: "certificateExpiryDays 60: 30 days left warns",
      facts: endpointsWorld(expiringIn(30), "production", withThresholds({ certificateExpiryDays: 60 })),
      expect: { status: "warn", messageId: "certificateExpiring", data: { expiresIn: "in 30 days", expiryDays: 60 } },
    },
    { name: "an answer in 2500 ms (httpLatencyMs 2000)", facts: endpointsWorld(expiringIn(90, { latencyMs: 2500 })), expect: { status: "warn", messageId: "slowAnswer", data: { status: 200, latencyMs: 2500, limitMs: 2000 } } },
    {
      name: "httpLatencyMs 100: an answer in 150 ms warns",
      facts: endpointsWorld(expiringIn(90, { latencyMs: 150 }), "production", withThresholds({ httpLatencyMs: 100 })),
      expect: { status: "warn", messageId: "slowAnswer", data: { latencyMs: 150, limitMs: 100 } },
    },
    { name: "expiring soon and slow: both said", facts: endpointsWorld(expiringIn(2, { latencyMs: 3000 })), expect: { status: "warn", messageId: "certificateExpiringAndSlow", data: { latencyMs: 3000, expiresIn: "in 2 days" } } },
    {
      name: "plain http for sandbox, but slow",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: SANDBOX_URL, result: answer(404, { url: SANDBOX_URL, latencyMs: 2100 }) } }), "sandbox"),
      expect: { status: "warn", messageId: "slowAnswer", data: { latencyMs: 2100 } },
    },
  ],
});

/**
 * The same decision on real certificates: an https server on 127.0.0.1 with a
 * certificate made by openssl now (a private CA signs it; the probe trusts the
 * CA through BOOKFLOW_EXTRA_CA_FILE), gathered by the real `endpointProbes` fact.
 */
describe("endpoints.base-url-https against a real https server (openssl certificates)", () => {
  let dir: string;
  const servers: Server[] = [];

  const openssl = (...args: string[]) => execFileSync("/usr/bin/openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "bookflow-cert-"));
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=bookflow test CA");
    writeFileSync(join(dir, "leaf.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
    for (const [name, days] of [["soon", 3], ["year", 365]] as const) {
      openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=127.0.0.1");
      openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", String(days), "-extfile", "leaf.ext", "-out", `${name}.pem`);
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(name: "soon" | "year"): Promise<string> {
    const server = createServer({ key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) }, (_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":"not_found"}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  async function verdict(baseUrl: string, env: Record<string, string> = {}) {
    const store = new FactStore({ env: { NEXT_PUBLIC_BASE_URL: baseUrl, ...env }, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers);
    const facts = { env: await store.get("env"), config: await store.get("config"), endpointProbes: await store.get("endpointProbes") };
    return { outcome: await decide(check, facts), probe: facts.endpointProbes.base };
  }

  it("warns for a trusted certificate that expires in 3 days", async () => {
    const { outcome, probe } = await verdict(await serve("soon"), { BOOKFLOW_EXTRA_CA_FILE: join(dir, "ca.pem") });
    expect(probe.probed && probe.result.tls?.valid).toBe(true);
    expect(outcome.status).toBe("warn");
    expect(outcome.messageId).toBe("certificateExpiring");
    expect(outcome.message).toMatch(/certificate expires in (2|3) days .*certificateExpiryDays \(14\)/);
    expect(outcome.actual).toMatchObject({ daysLeft: expect.any(Number) as unknown });
  });

  it("passes for a trusted certificate that expires in a year", async () => {
    const { outcome } = await verdict(await serve("year"), { BOOKFLOW_EXTRA_CA_FILE: join(dir, "ca.pem") });
    expect(outcome.status, outcome.message).toBe("pass");
    expect(outcome.messageId).toBe("httpsCertificateDaysLeft");
    expect(outcome.message).toMatch(/certificate valid until \d{4}-\d\d-\d\d \((364|365) days\)/);
  });

  it("fails without the CA: the certificate is not trusted", async () => {
    const { outcome } = await verdict(await serve("year"));
    expect(outcome.status).toBe("fail");
    expect(outcome.messageId).toBe("invalidCertificate");
    expect(outcome.message).toMatch(/invalid certificate: UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
  });

  it("errors, naming the variable, when BOOKFLOW_EXTRA_CA_FILE is missing or holds no certificate", async () => {
    const url = await serve("year");
    const missing = new FactStore({ env: { NEXT_PUBLIC_BASE_URL: url, BOOKFLOW_EXTRA_CA_FILE: join(dir, "nope.pem") }, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers);
    await expect(missing.get("endpointProbes")).rejects.toThrow(/BOOKFLOW_EXTRA_CA_FILE names .*nope\.pem, which cannot be read \(no such file\)/);
    const notPem = new FactStore({ env: { NEXT_PUBLIC_BASE_URL: url, BOOKFLOW_EXTRA_CA_FILE: join(dir, "leaf.ext") }, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers);
    await expect(notPem.get("endpointProbes")).rejects.toThrow(/holds no PEM certificate/);
  });
});
