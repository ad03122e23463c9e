import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDkim, type DkimProblem, type DkimWarning } from "../../../src/providers/dns/dkim.js";
import { createDnsClient, type DnsClient } from "../../../src/providers/dns/resolver.js";
import { startNsd, txt, type RunningNsd } from "../../support/nsd.js";

/**
 * DKIM key records (RFC 6376 §3.2, §3.6.1, §6.1.2; RFC 8463; RFC 8301), each
 * with the verdict the RFCs give — usable for SendGrid's rsa-sha256 email
 * signatures or not — served by NSD and read both by bookflow and by dkimpy
 * (Debian's python3-dkim, run by /usr/bin/python3). Where dkimpy's key
 * loading departs from the RFC the case says so and why.
 */

const ZONE = "dkim.test";
const rsa = (bits: number) => generateKeyPairSync("rsa", { modulusLength: bits }).publicKey;
const k2048 = rsa(2048);
const SPKI = k2048.export({ type: "spki", format: "der" }).toString("base64");
const PKCS1 = k2048.export({ type: "pkcs1", format: "der" }).toString("base64");
const K1024 = rsa(1024).export({ type: "spki", format: "der" }).toString("base64");
const K512 = rsa(512).export({ type: "spki", format: "der" }).toString("base64");
const edSpki = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" });
const ED_RAW = edSpki.subarray(12).toString("base64");
const ED_SPKI = edSpki.toString("base64");

interface DkimCase {
  id: string;
  record: string;
  usable: boolean;
  section: string;
  problem?: DkimProblem;
  warnings?: DkimWarning[];
  keyFormat?: "spki" | "pkcs1" | "raw";
  /** Where dkimpy's verdict differs from the RFC's: its verdict and why. */
  dkimpy?: { usable: boolean; why: string };
}

const CASES: DkimCase[] = [
  { id: "rsa-spki", record: `v=DKIM1; k=rsa; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (SubjectPublicKeyInfo, the common wrapping)", keyFormat: "spki" },
  { id: "rsa-pkcs1", record: `v=DKIM1; k=rsa; p=${PKCS1}`, usable: true, section: "RFC 6376 §3.6.1 (an RSAPublicKey, the form it names)", keyFormat: "pkcs1" },
  { id: "no-v", record: `k=rsa; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (v= is optional)" },
  { id: "default-k", record: `v=DKIM1; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (k= defaults to rsa)" },
  { id: "ed25519", record: `v=DKIM1; k=ed25519; p=${ED_RAW}`, usable: true, section: "RFC 8463 §4.2 (the raw 32-byte key)", keyFormat: "raw" },
  { id: "ed25519-spki", record: `v=DKIM1; k=ed25519; p=${ED_SPKI}`, usable: false, section: "RFC 8463 §4.2 (not SubjectPublicKeyInfo)", problem: "invalid-key" },
  { id: "revoked", record: "v=DKIM1; k=rsa; p=", usable: false, section: "RFC 6376 §3.6.1, §6.1.2 (an empty p= is revoked)", problem: "revoked" },
  { id: "no-p", record: "v=DKIM1; k=rsa", usable: false, section: "RFC 6376 §3.6.1 (p= is required)", problem: "invalid-key" },
  {
    id: "v-not-first",
    record: `k=rsa; v=DKIM1; p=${SPKI}`,
    usable: false,
    section: "RFC 6376 §3.6.1 (v= MUST be the first tag)",
    problem: "syntax",
    dkimpy: { usable: true, why: "dkimpy checks v='s value wherever the tag is; RFC 6376 §3.6.1 says it MUST be the first tag, and §6.1.2 makes a record that does not adhere to the format a PERMFAIL (key syntax error)" },
  },
  { id: "v-other", record: `v=DKIM2; p=${SPKI}`, usable: false, section: "RFC 6376 §3.6.1 (other versions are discarded)", problem: "not-dkim" },
  { id: "v-lowercase", record: `v=dkim1; p=${SPKI}`, usable: false, section: "RFC 6376 §3.2 (values are case-sensitive), §3.6.1", problem: "not-dkim" },
  { id: "duplicate-tag", record: `v=DKIM1; p=${SPKI}; p=${SPKI}`, usable: false, section: "RFC 6376 §3.2 (a duplicate tag invalidates the list)", problem: "syntax" },
  { id: "empty-spec", record: `v=DKIM1;; p=${SPKI}`, usable: false, section: "RFC 6376 §3.2 (tag-spec has a name)", problem: "syntax" },
  { id: "trailing-semicolon", record: `v=DKIM1; p=${SPKI};`, usable: true, section: "RFC 6376 §3.2 (one trailing ; is allowed)" },
  { id: "unknown-tag", record: `v=DKIM1; x=whatever; n=a note with spaces; p=${SPKI}`, usable: true, section: "RFC 6376 §3.2, §3.6.1 (unknown tags are ignored)" },
  { id: "k-unknown", record: `v=DKIM1; k=dsa; p=${SPKI}`, usable: false, section: "RFC 6376 §3.6.1, §6.1.2", problem: "unknown-key-type" },
  { id: "s-email", record: `v=DKIM1; s=email; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (s=)" },
  { id: "s-star", record: `v=DKIM1; s=*; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (s=* is every service)" },
  {
    id: "s-tlsrpt",
    record: `v=DKIM1; s=tlsrpt; p=${SPKI}`,
    usable: false,
    section: "RFC 6376 §3.6.1 (verifiers for email MUST ignore a record not listing email), RFC 8460 §3",
    problem: "not-for-email",
    dkimpy: { usable: true, why: "dkimpy loads s=tlsrpt keys and leaves it to its caller's tlsrpt option to refuse them for ordinary mail; a key for TLS reports only is not for email under RFC 6376 §3.6.1" },
  },
  {
    id: "s-list",
    record: `v=DKIM1; s=email:tlsrpt; p=${SPKI}`,
    usable: true,
    section: "RFC 6376 §3.6.1 (s= is a colon-separated list)",
    dkimpy: { usable: false, why: "dkimpy compares the whole s= value with *, email and tlsrpt, so a list of two is an unknown service type; RFC 6376 §3.6.1 defines s= as a colon-separated list" },
  },
  { id: "h-sha256", record: `v=DKIM1; h=sha256; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (h=)" },
  {
    id: "h-sha1",
    record: `v=DKIM1; h=sha1; p=${SPKI}`,
    usable: false,
    section: "RFC 6376 §6.1.2 (the signature's hash must be in h=), RFC 8301 §3.1 (sha1 MUST NOT be accepted)",
    problem: "no-sha256",
    dkimpy: { usable: true, why: "dkimpy's key loading does not read h=; the key cannot verify a sha256 signature (RFC 6376 §6.1.2) and RFC 8301 §3.1 forbids accepting sha1 ones" },
  },
  { id: "h-list", record: `v=DKIM1; h=sha1:sha256; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1" },
  { id: "h-unknown", record: `v=DKIM1; h=sha512:sha256; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (unknown algorithms are ignored)" },
  { id: "t-y", record: `v=DKIM1; t=y; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (t=y: testing)", warnings: ["testing"] },
  { id: "t-s", record: `v=DKIM1; t=s:x; p=${SPKI}`, usable: true, section: "RFC 6376 §3.6.1 (unknown flags are ignored)", warnings: [] },
  { id: "rsa-1024", record: `v=DKIM1; p=${K1024}`, usable: true, section: "RFC 8301 §3.2 (1024 bits: valid, 2048 recommended)", warnings: ["short-key"] },
  { id: "rsa-512", record: `v=DKIM1; p=${K512}`, usable: false, section: "RFC 8301 §3.2 (less than 1024 bits MUST NOT be valid)", problem: "weak-key" },
  { id: "not-base64", record: "v=DKIM1; p=not*base64!", usable: false, section: "RFC 6376 §3.6.1", problem: "invalid-key" },
  { id: "truncated", record: `v=DKIM1; p=${SPKI.slice(0, 60)}`, usable: false, section: "RFC 6376 §3.6.1", problem: "invalid-key" },
  { id: "folded", record: `v=DKIM1; p=${SPKI.slice(0, 100)} ${SPKI.slice(100)}`, usable: true, section: "RFC 6376 §3.6.1 (base64string may hold whitespace)" },
];

let nsd: RunningNsd;
let dns: DnsClient;
let dkimpy: Record<string, { usable: boolean; keysize: number | null; ktag: string | null; error: string | null }>;
const nameOf = (id: string) => `${id}._domainkey.${ZONE}`;

beforeAll(async () => {
  nsd = await startNsd({
    [ZONE]: [
      ...CASES.map((c) => txt(`${c.id}._domainkey`, c.record)),
      `cn._domainkey IN CNAME s1.domainkey.u1.wl1.sendgrid.${ZONE}.`,
      txt("s1.domainkey.u1.wl1.sendgrid", `v=DKIM1; k=rsa; p=${SPKI}`),
      `dangling._domainkey IN CNAME nothing.${ZONE}.`,
      txt("two._domainkey", `v=DKIM1; p=${SPKI}`),
      txt("two._domainkey", `v=DKIM1; p=${K1024}`),
      txt("other._domainkey", "google-site-verification=abc"),
    ],
  });
  dns = createDnsClient({ server: nsd.address, timeoutMs: 500, tries: 1 });
  const script = fileURLToPath(new URL("../../support/python/dkimpy_keys.py", import.meta.url));
  const run = spawnSync("/usr/bin/python3", [script], { input: JSON.stringify({ server: "127.0.0.1", port: nsd.port, names: CASES.map((c) => nameOf(c.id)) }), encoding: "utf8", timeout: 60_000 });
  if (run.error || run.status !== 0) throw new Error(`dkimpy did not run (/usr/bin/python3: apt-get install python3-dkim python3-dnspython; .ci/run installs them): ${run.error?.message ?? run.stderr}`);
  dkimpy = JSON.parse(run.stdout) as typeof dkimpy;
});

afterAll(async () => {
  await nsd?.stop();
});

describe("DKIM key records served by NSD: the RFC verdict from bookflow, and from dkimpy unless it departs", () => {
  for (const c of CASES) {
    it(`${c.id}: ${c.usable ? "usable" : "unusable"} (${c.section})${c.dkimpy ? `; dkimpy: ${c.dkimpy.usable ? "usable" : "unusable"} (${c.dkimpy.why})` : ""}`, async () => {
      const [r] = await evaluateDkim(ZONE, [c.id], dns);
      expect(r!.valid, JSON.stringify(r)).toBe(c.usable);
      expect(r!.problem).toBe(c.problem);
      if (c.warnings) expect(r!.warnings).toEqual(c.warnings);
      if (c.keyFormat) expect(r!.keyFormat).toBe(c.keyFormat);
      const theirs = dkimpy[nameOf(c.id)]!;
      expect(theirs.usable, `dkimpy: ${JSON.stringify(theirs)}`).toBe(c.dkimpy?.usable ?? c.usable);
    });
  }

  it("follows SendGrid's CNAME to the key; a dangling CNAME, two key records and no key record are failures", async () => {
    const [cn, dangling, two, other, none] = await evaluateDkim(ZONE, ["cn", "dangling", "two", "other", "none"], dns);
    expect(cn).toMatchObject({ valid: true, cname: `s1.domainkey.u1.wl1.sendgrid.${ZONE}`, keyBits: 2048 });
    expect(dangling).toMatchObject({ valid: false, problem: "cname-target-missing" });
    expect(two).toMatchObject({ valid: false, problem: "multiple" });
    expect(other).toMatchObject({ valid: false, problem: "not-dkim" });
    expect(none).toMatchObject({ valid: false, problem: "missing" });
  });
});
