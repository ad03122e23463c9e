import { txt } from "../../support/nsd.js";
import type { SpfResult } from "../../../src/providers/dns/spf.js";

/**
 * SPF corner cases from RFC 7208, each with the verdict the RFC gives for
 * check_host(ip, "<id>.spf.test", "postmaster@<id>.spf.test"), served by NSD
 * (spf-rfc.test.ts) and cross-checked with pyspf (spf-pyspf.test.ts).
 *
 * The zone spf.test holds one name per case (its record at `<id>`) and the
 * shared names below; sendgrid.net publishes two SendGrid netblocks; the
 * reverse zone holds the PTR records of the ptr cases. Names under
 * unserved.example are outside every zone NSD serves: it answers REFUSED.
 */

/** An address in SendGrid's 167.89.0.0/17. */
export const SG_IP = "167.89.0.1";
export const SENDGRID_TEST_SPF = "v=spf1 ip4:167.89.0.0/17 ip4:149.72.0.0/16 ~all";
export const SPF_ZONE = "spf.test";

export interface SpfCase {
  id: string;
  /** The TXT records at `<id>.spf.test`: strings, or lists of character-strings. */
  records: (string | string[])[];
  /** The client address (default SG_IP). */
  ip?: string;
  /** The verdict RFC 7208 gives. */
  rfc: SpfResult;
  /** The section that gives it. */
  section: string;
  /** For the permerror, temperror and pass cases: the deciding term bookflow must name (a substring). */
  term?: string;
  /** Lookups and void lookups counted up to the verdict, when the case is about them. */
  lookups?: number;
  voids?: number;
  /**
   * Where pyspf's verdict differs from the RFC's: its verdict and why. The
   * cross-check asserts pyspf still says this (so a change is noticed) and
   * that bookflow says the RFC verdict.
   */
  pyspf?: { result: SpfResult; why: string };
}

const includes = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `include:x${from + i}.${SPF_ZONE}`).join(" ");

/** Names the cases share, in spf.test. */
export const SHARED_LINES: string[] = [
  txt("nospf", "google-site-verification=abc"),
  txt("inc-fail", "v=spf1 -all"),
  txt("inc-neutral", "v=spf1 ?all"),
  txt("inc-softfail", "v=spf1 ~all"),
  txt("inc-syntax", "v=spf1 ip4:167.89.0.0/40 -all"),
  txt("inc-two", "v=spf1 -all"),
  txt("inc-two", "v=spf1 ~all"),
  txt("r-fail", "v=spf1 -all"),
  txt("loop-a", `v=spf1 include:loop-b.${SPF_ZONE} -all`),
  txt("loop-b", `v=spf1 include:loop-a.${SPF_ZONE} -all`),
  txt("rloop-a", `v=spf1 redirect=rloop-b.${SPF_ZONE}`),
  txt("rloop-b", `v=spf1 redirect=rloop-a.${SPF_ZONE}`),
  ...Array.from({ length: 12 }, (_, i) => txt(`x${i + 1}`, `v=spf1 ip4:198.51.100.${i + 1} -all`)),
  // nested: 1 (include n1) + n1's a, mx, include n2 (3) + n2's a, mx, a:host (3) = 7; 3 more at the top = 10; include:sendgrid.net is the 11th.
  txt("n1", `v=spf1 a mx include:n2.${SPF_ZONE} -all`),
  "n1 IN A 198.51.100.50",
  "n1 IN MX 10 mail.n1",
  "mail.n1 IN A 198.51.100.51",
  txt("n2", `v=spf1 a mx a:mail.n1.${SPF_ZONE} -all`),
  "n2 IN A 198.51.100.52",
  "n2 IN MX 10 mail.n1",
  // void: names with other records but no A (NOERROR, no answers)
  txt("nodata1", "not an address"),
  txt("nodata2", "not an address"),
  // mx: 10 and 11 MX records; the 10-record set has SendGrid's address on one exchange.
  ...Array.from({ length: 11 }, (_, i) => `mx11 IN MX ${10 + i} h${i}.mx11`),
  ...Array.from({ length: 11 }, (_, i) => `h${i}.mx11 IN A 198.51.100.${100 + i}`),
  ...Array.from({ length: 10 }, (_, i) => `mx10 IN MX ${10 + i} h${i}.mx10`),
  ...Array.from({ length: 9 }, (_, i) => `h${i}.mx10 IN A 198.51.100.${120 + i}`),
  `h9.mx10 IN A ${SG_IP}`,
  "mx1 IN MX 10 out.mx1",
  `out.mx1 IN A ${SG_IP}`,
  "mxnone IN MX 10 out.mxnone",
  "out.mxnone IN A 198.51.100.200",
  // ptr: names for 167.89.0.2 (validated), 167.89.0.3 (not validated), 167.89.0.4 (11 names, only the 11th validated)
  "ok.ptr IN A 167.89.0.2",
  "bad.ptr IN A 198.51.100.201",
  ...Array.from({ length: 10 }, (_, i) => `n${i}.many IN A 198.51.100.${210 + i}`),
  "n10.many IN A 167.89.0.4",
  // macros
  `${SG_IP}.ex IN A 127.0.0.2`,
  `${SG_IP.split(".").reverse().join(".")}.exr IN A 127.0.0.2`,
  "postmaster.exl IN A 127.0.0.2",
  "spf.test.exd IN A 127.0.0.2",
  // ipv6
  "v6host IN AAAA 2001:db8::1",
  "v6host IN A 198.51.100.250",
];

/** The reverse zone for the ptr cases. */
export const REVERSE_ZONE = "0.89.167.in-addr.arpa";
export const REVERSE_LINES: string[] = [
  `2 IN PTR ok.ptr.${SPF_ZONE}.`,
  `3 IN PTR bad.ptr.${SPF_ZONE}.`,
  ...Array.from({ length: 11 }, (_, i) => `4 IN PTR n${i}.many.${SPF_ZONE}.`),
];

export const SPF_CASES: SpfCase[] = [
  // §4.5 record selection
  { id: "sel-none", records: ["google-site-verification=abc"], rfc: "none", section: "§4.5" },
  { id: "sel-nxdomain", records: [], rfc: "none", section: "§4.3" },
  { id: "sel-leading-space", records: [" v=spf1 include:sendgrid.net -all"], rfc: "none", section: "§4.5 (a record begins with v=spf1)" },
  { id: "sel-spf10", records: ["v=spf10 include:sendgrid.net -all"], rfc: "none", section: "§4.5 (v=spf1 ends at a space or the end)" },
  { id: "sel-two", records: ["v=spf1 include:sendgrid.net -all", "v=spf1 ~all"], rfc: "permerror", section: "§4.5", term: "(record)" },
  { id: "sel-case", records: ["V=SPF1 include:sendgrid.net -all"], rfc: "pass", section: "§4.5, RFC 5234 §2.3 (ABNF literals are case-insensitive)" },
  { id: "sel-strings", records: [["v=spf1 include:sendgr", "id.net -all"]], rfc: "pass", section: "§3.3 (character-strings are joined without spaces)", term: "include:sendgrid.net" },
  { id: "sel-unrelated", records: ["v=spf1 include:sendgrid.net -all", "v=spf1x ~all", "hello"], rfc: "pass", section: "§4.5" },
  // §4.6, §5, §7.1, §12 syntax
  { id: "syn-unknown-mech", records: ["v=spf1 include:sendgrid.net foo:bar -all"], rfc: "permerror", section: "§4.6.1, §12", term: "foo:bar" },
  { id: "syn-after-all", records: ["v=spf1 include:sendgrid.net -all foo:bar"], rfc: "permerror", section: "§4.6 (syntax errors anywhere in the record)", term: "foo:bar" },
  { id: "syn-unknown-mod", records: ["v=spf1 include:sendgrid.net foo=bar -all"], rfc: "pass", section: "§6 (unknown modifiers are ignored)" },
  { id: "syn-cidr-33", records: ["v=spf1 ip4:167.89.0.0/33 -all"], rfc: "permerror", section: "§5.6, §12 (ip4-cidr-length 0-32)", term: "ip4:167.89.0.0/33" },
  {
    id: "syn-cidr-zero-pad",
    records: ["v=spf1 ip4:167.89.0.0/017 -all"],
    rfc: "permerror",
    section: "§12 (ip4-cidr-length: no leading zeros)",
    term: "/017",
  },
  { id: "syn-ip4-short", records: ["v=spf1 ip4:167.89.0 -all"], rfc: "permerror", section: "§5.6, §12 (ip4-network is a dotted quad)", term: "ip4:167.89.0" },
  {
    id: "syn-ip4-zero-pad",
    records: ["v=spf1 ip4:167.089.0.0/17 -all"],
    rfc: "permerror",
    section: "§12 (qnum has no leading zeros)",
    term: "ip4:167.089.0.0/17",
  },
  { id: "syn-ip6-bad", records: ["v=spf1 ip6:2001:db8::zz -all"], rfc: "permerror", section: "§5.6, §12 (RFC 4291 §2.2)", term: "ip6:2001:db8::zz" },
  { id: "syn-ip6-129", records: ["v=spf1 ip6:2001:db8::/129 include:sendgrid.net -all"], rfc: "permerror", section: "§12 (ip6-cidr-length 0-128)", term: "ip6:2001:db8::/129" },
  { id: "syn-dual-cidr", records: ["v=spf1 a//129 include:sendgrid.net -all"], rfc: "permerror", section: "§5.3, §12 (dual-cidr-length)", term: "a//129" },
  { id: "syn-macro-letter", records: [`v=spf1 exists:%{z}.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§7.1 (macro-letter)", term: "%{z}" },
  { id: "syn-macro-percent", records: [`v=spf1 exists:%x.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§7.1 (a % starts %{…}, %%, %_ or %-)", term: "%x" },
  { id: "syn-exp-only-macro", records: [`v=spf1 exists:%{c}.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§7.2 (c, r, t only in exp text)", term: "%{c}" },
  { id: "syn-toplabel-numeric", records: ["v=spf1 a:192.0.2.1 include:sendgrid.net -all"], rfc: "permerror", section: "§7.1 (toplabel is not all-numeric)", term: "a:192.0.2.1" },
  { id: "syn-include-bare", records: ["v=spf1 include -all"], rfc: "permerror", section: "§5.2, §12 (include needs a domain-spec)", term: "include" },
  { id: "syn-all-arg", records: ["v=spf1 include:sendgrid.net all:x"], rfc: "permerror", section: "§5.1, §12", term: "all:x" },
  { id: "syn-qualified-modifier", records: ["v=spf1 include:sendgrid.net -redirect=sendgrid.net"], rfc: "permerror", section: "§12 (modifiers take no qualifier)", term: "-redirect=sendgrid.net" },
  // §6 modifiers
  { id: "mod-two-redirects", records: ["v=spf1 redirect=sendgrid.net redirect=sendgrid.net"], rfc: "permerror", section: "§6", term: "redirect=sendgrid.net" },
  { id: "mod-two-exps", records: [`v=spf1 include:sendgrid.net exp=e.${SPF_ZONE} exp=e.${SPF_ZONE} -all`], rfc: "permerror", section: "§6", term: "exp=" },
  { id: "mod-redirect", records: ["v=spf1 redirect=sendgrid.net"], rfc: "pass", section: "§6.1", term: "redirect=sendgrid.net > ip4:167.89.0.0/17", lookups: 1 },
  { id: "mod-redirect-with-all", records: ["v=spf1 -all redirect=sendgrid.net"], rfc: "fail", section: "§6.1 (redirect is ignored when the record has all)", term: "-all" },
  { id: "mod-redirect-none", records: [`v=spf1 redirect=nospf.${SPF_ZONE}`], rfc: "permerror", section: "§6.1 (a redirect target without SPF)", term: "redirect=nospf" },
  { id: "mod-redirect-nx", records: [`v=spf1 redirect=nx.${SPF_ZONE}`], rfc: "permerror", section: "§6.1", term: "redirect=nx" },
  { id: "mod-redirect-fail", records: [`v=spf1 redirect=r-fail.${SPF_ZONE}`], rfc: "fail", section: "§6.1 (the target's result is the result)", term: "redirect=r-fail.spf.test > -all" },
  { id: "mod-redirect-loop", records: [`v=spf1 redirect=rloop-a.${SPF_ZONE}`], rfc: "permerror", section: "§4.6.4 (a redirect loop reaches the limit)", lookups: 11 },
  // §5.2 include
  { id: "inc-pass", records: ["v=spf1 include:sendgrid.net -all"], rfc: "pass", section: "§5.2", term: "include:sendgrid.net > ip4:167.89.0.0/17", lookups: 1, voids: 0 },
  { id: "inc-none", records: [`v=spf1 include:nospf.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§5.2 (include of none)", term: "include:nospf" },
  { id: "inc-nx", records: [`v=spf1 include:nx.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§5.2 (include of none)", term: "include:nx" },
  { id: "inc-fail-continues", records: [`v=spf1 include:inc-fail.${SPF_ZONE} include:inc-softfail.${SPF_ZONE} include:inc-neutral.${SPF_ZONE} include:sendgrid.net -all`], rfc: "pass", section: "§5.2 (fail, softfail, neutral: no match)", lookups: 4 },
  { id: "inc-permerror", records: [`v=spf1 include:inc-syntax.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§5.2 (permerror propagates)", term: "ip4:167.89.0.0/40" },
  { id: "inc-two-records", records: [`v=spf1 include:inc-two.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§5.2, §4.5" },
  { id: "inc-loop", records: [`v=spf1 include:loop-a.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§4.6.4 (an include loop reaches the limit)", lookups: 11 },
  { id: "inc-self", records: ["v=spf1 include:inc-self.spf.test include:sendgrid.net -all"], rfc: "permerror", section: "§4.6.4 (a record including itself reaches the limit)" },
  // §4.6.2, §5.1 order: the first match decides, later terms are never evaluated
  { id: "ord-all-first", records: ["v=spf1 -all include:sendgrid.net"], rfc: "fail", section: "§5.1 (mechanisms after all are never tested)", term: "-all", lookups: 0 },
  { id: "ord-dead-after-all", records: [`v=spf1 include:sendgrid.net -all ${Array.from({ length: 10 }, (_, i) => `include:dead${i}.unserved.example`).join(" ")}`], rfc: "pass", section: "§5.1, §4.6.4 (terms after all are neither evaluated nor counted)", lookups: 1 },
  { id: "ord-match-before-limit", records: [`v=spf1 include:sendgrid.net ${includes(1, 11)} -all`], rfc: "pass", section: "§4.6.2, §4.6.4 (the limit applies to terms evaluated)", lookups: 1 },
  { id: "ord-limit-before-match", records: [`v=spf1 ${includes(1, 10)} include:sendgrid.net -all`], rfc: "permerror", section: "§4.6.4", term: "include:sendgrid.net", lookups: 11 },
  { id: "ord-exactly-ten", records: [`v=spf1 ${includes(1, 9)} include:sendgrid.net -all`], rfc: "pass", section: "§4.6.4", lookups: 10 },
  { id: "ord-nested-limit", records: [`v=spf1 include:n1.${SPF_ZONE} a:n1.${SPF_ZONE} mx:n1.${SPF_ZONE} a:n2.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§4.6.4 (counted through includes)", term: "include:sendgrid.net", lookups: 11 },
  { id: "ord-ip4", records: ["v=spf1 ip4:10.0.0.0/8 ip4:167.89.0.0/17 -all"], rfc: "pass", section: "§5.6", term: "ip4:167.89.0.0/17", lookups: 0 },
  { id: "ord-ip4-miss", records: ["v=spf1 ip4:10.0.0.0/8 -all"], rfc: "fail", section: "§5.6, §2.6.4", term: "-all" },
  { id: "ord-ip4-host-bits", records: ["v=spf1 ip4:167.89.0.200/24 -all"], rfc: "pass", section: "§5.6 (the CIDR length masks the host bits)" },
  { id: "ord-softfail", records: ["v=spf1 ~all"], rfc: "softfail", section: "§2.6.5" },
  { id: "ord-neutral", records: ["v=spf1 ?all"], rfc: "neutral", section: "§2.6.2" },
  { id: "ord-default", records: ["v=spf1 ip4:10.0.0.1"], rfc: "neutral", section: "§4.7 (no match, no redirect)", term: "(default)" },
  { id: "ord-empty", records: ["v=spf1"], rfc: "neutral", section: "§4.7" },
  { id: "ord-plus-all", records: ["v=spf1 +all"], rfc: "pass", section: "§2.6.3" },
  { id: "ord-bare-all", records: ["v=spf1 all"], rfc: "pass", section: "§4.6.2 (no qualifier is +)" },
  // §4.6.4 void lookups
  { id: "void-two", records: [`v=spf1 a:v1.${SPF_ZONE} a:v2.${SPF_ZONE} include:sendgrid.net -all`], rfc: "pass", section: "§4.6.4 (two void lookups are allowed)", voids: 2 },
  { id: "void-three", records: [`v=spf1 a:v1.${SPF_ZONE} a:v2.${SPF_ZONE} exists:v3.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§4.6.4", term: "exists:v3", voids: 3 },
  { id: "void-nodata", records: [`v=spf1 a:nodata1.${SPF_ZONE} mx:nodata2.${SPF_ZONE} a:v3.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§4.6.4 (no answers counts as void like NXDOMAIN)", voids: 3 },
  // §4.6.4 MX and PTR limits, §5.4, §5.5
  { id: "mx-eleven", records: [`v=spf1 mx:mx11.${SPF_ZONE} include:sendgrid.net -all`], rfc: "permerror", section: "§4.6.4 (more than 10 MX records)", term: "mx:mx11" },
  { id: "mx-ten", records: [`v=spf1 mx:mx10.${SPF_ZONE} -all`], rfc: "pass", section: "§4.6.4, §5.4", term: "mx:mx10" },
  { id: "mx-match", records: [`v=spf1 mx:mx1.${SPF_ZONE} -all`], rfc: "pass", section: "§5.4", lookups: 1 },
  { id: "mx-miss", records: [`v=spf1 mx:mxnone.${SPF_ZONE} -all`], rfc: "fail", section: "§5.4" },
  { id: "mx-cidr", records: [`v=spf1 mx:mxnone.${SPF_ZONE}/8 -all`], ip: "198.1.2.3", rfc: "pass", section: "§5.4 (ip4-cidr-length)" },
  { id: "ptr-match", records: [`v=spf1 ptr:${SPF_ZONE} -all`], ip: "167.89.0.2", rfc: "pass", section: "§5.5", term: `ptr:${SPF_ZONE}` },
  { id: "ptr-unvalidated", records: [`v=spf1 ptr:${SPF_ZONE} -all`], ip: "167.89.0.3", rfc: "fail", section: "§5.5 (the name's addresses must include the client)" },
  { id: "ptr-eleven", records: [`v=spf1 ptr:many.${SPF_ZONE} -all`], ip: "167.89.0.4", rfc: "fail", section: "§4.6.4 (PTR names past the 10th are ignored)" },
  { id: "ptr-no-reverse", records: [`v=spf1 ptr:${SPF_ZONE} -all`], ip: "167.89.0.9", rfc: "fail", section: "§5.5 (no PTR: no match)" },
  // §7 macros
  { id: "mac-i", records: [`v=spf1 exists:%{i}.ex.${SPF_ZONE} -all`], rfc: "pass", section: "§7.3 (%{i})" },
  { id: "mac-ir", records: [`v=spf1 exists:%{ir}.exr.${SPF_ZONE} -all`], rfc: "pass", section: "§7.3 (r reverses)" },
  { id: "mac-l", records: [`v=spf1 exists:%{l}.exl.${SPF_ZONE} -all`], rfc: "pass", section: "§7.3 (%{l}: the local-part)" },
  { id: "mac-d2", records: [`v=spf1 exists:%{d2}.exd.${SPF_ZONE} -all`], rfc: "pass", section: "§7.3 (a digit keeps the rightmost labels)" },
  {
    id: "mac-zero",
    records: [`v=spf1 exists:%{d0}.exd.${SPF_ZONE} -all`],
    rfc: "permerror",
    section: "§7.3 (a digit must be nonzero)",
    pyspf: { result: "fail", why: "pyspf accepts a zero digit transformer and expands %{d0} to the domain less its first label, so exists finds nothing and -all decides; §7.3 says the digit MUST be nonzero, so the term is invalid and §4.6 makes that a permerror" },
  },
  // §4.4 DNS errors
  { id: "dns-refused", records: ["v=spf1 include:x.unserved.example include:sendgrid.net -all"], rfc: "temperror", section: "§4.4, §5.2 (an RCODE other than 0 or 3)", term: "include:x.unserved.example" },
  // IPv6 clients
  { id: "v6-ip6", records: ["v=spf1 ip6:2001:db8::/32 -all"], ip: "2001:db8::1", rfc: "pass", section: "§5.6" },
  { id: "v6-ip4-no-match", records: ["v=spf1 ip4:0.0.0.0/0 -all"], ip: "2001:db8::1", rfc: "fail", section: "§5.6 (ip4 never matches an IPv6 client)" },
  { id: "v6-a", records: [`v=spf1 a:v6host.${SPF_ZONE} -all`], ip: "2001:db8::1", rfc: "pass", section: "§5.3 (AAAA for an IPv6 client)" },
  { id: "v6-exists-a", records: [`v=spf1 exists:v6host.${SPF_ZONE} -all`], ip: "2001:db8::1", rfc: "pass", section: "§5.7 (exists always looks up A)" },
];

/** The zones NSD serves for these cases. */
export function spfZones(cases: SpfCase[] = SPF_CASES): Record<string, string[]> {
  return {
    [SPF_ZONE]: [...SHARED_LINES, ...cases.flatMap((c) => c.records.map((r) => txt(c.id, r)))],
    "sendgrid.net": [txt("@", SENDGRID_TEST_SPF)],
    [REVERSE_ZONE]: REVERSE_LINES,
  };
}
