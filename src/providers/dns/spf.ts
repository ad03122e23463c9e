/**
 * SPF as a receiver evaluates it: RFC 7208 check_host() for a client IP,
 * section by section. Record selection (§4.5), syntax of every term before
 * evaluation (§4.6, §12: mechanisms, modifiers, macros, CIDR lengths),
 * evaluation in order stopping at the first match (§4.6.2, §5.1: terms after
 * a matching `all` are never evaluated), the 10 DNS-querying terms and 2 void
 * lookups (§4.6.4), the 10-MX (permerror) and 10-PTR (the rest ignored)
 * address limits (§4.6.4), include (§5.2: none → permerror) and redirect
 * (§6.1: ignored when the record has `all`, none → permerror), duplicate
 * redirect/exp (§6: permerror), macros (§7) and the default result (§4.7).
 *
 * evaluateSpf() runs check_host() for SendGrid's sending addresses (one per
 * netblock sendgrid.net publishes) and for an address nobody authorises (what
 * forged mail gets), and returns the results with the term that decided,
 * the lookup and void counts and, for a non-pass, the RFC section.
 */
import { BlockList, isIPv6 } from "node:net";
import type { DnsClient } from "./resolver.js";

/** RFC 7208 §4.6.4: at most 10 mechanisms and modifiers that cause DNS lookups. */
export const SPF_LOOKUP_LIMIT = 10;
/** RFC 7208 §4.6.4: at most 2 lookups that return no answer. */
export const SPF_VOID_LOOKUP_LIMIT = 2;
/** RFC 7208 §4.6.4: at most 10 MX records per `mx` (more: permerror), 10 PTR names per `ptr` (the rest ignored). */
export const SPF_MX_LIMIT = 10;
export const SPF_PTR_LIMIT = 10;

/** SendGrid's netblocks, used when sendgrid.net's own SPF record cannot be read (abridged, as sendgrid.net publishes them). */
export const SENDGRID_NETBLOCKS = ["167.89.0.0/17", "208.117.48.0/20", "50.31.32.0/19", "198.37.144.0/20", "198.21.0.0/21", "192.254.112.0/20", "168.245.0.0/17", "149.72.0.0/16", "159.183.0.0/16"] as const;
/** The domain whose SPF record lists SendGrid's netblocks. */
export const SENDGRID_SPF_DOMAIN = "sendgrid.net";
/** An address no sender authorises (RFC 5737 TEST-NET-1): what receivers conclude about forged mail. */
export const STRANGER_IP = "192.0.2.1";

/** RFC 7208 §2.6. */
export type SpfResult = "pass" | "fail" | "softfail" | "neutral" | "none" | "permerror" | "temperror";

export type SpfDns = Pick<DnsClient, "txt" | "a" | "aaaa" | "mx" | "ptr">;

/** One check_host() run. */
export interface SpfCheckHost {
  ip: string;
  result: SpfResult;
  /**
   * The term that decided, with the include/redirect terms that led to it,
   * e.g. `include:sendgrid.net > ip4:167.89.0.0/17`; `(default)` when no
   * mechanism matched (§4.7), `(no record)` for none, `(record)` when the
   * record itself decided (multiple records).
   */
  decidedBy: string;
  /** The domain whose record holds the deciding term. */
  domain: string;
  /** DNS-querying terms evaluated (include, a, mx, ptr, exists, redirect). */
  lookups: number;
  /** Terms whose lookup found nothing (NXDOMAIN or no answers). */
  voidLookups: number;
  /** For none, permerror and temperror: what happened. */
  reason?: string;
  /** For results other than pass: the RFC 7208 section that gives it. */
  rfc?: string;
  /** A `ptr` mechanism or `%{p}` macro was evaluated (RFC 7208 §5.5: SHOULD NOT be used). */
  usedPtr: boolean;
}

export interface SpfEvaluation {
  domain: string;
  /** The `v=spf1` TXT records on the domain (one when it is valid). */
  records: string[];
  /** The MAIL FROM used for macros (%{s}, %{l}, %{o}). */
  sender: string;
  /** Where SendGrid's addresses came from. */
  sendgridSource: "dns" | "built-in";
  /** check_host() for one address in each of SendGrid's netblocks. */
  sendgrid: SpfCheckHost[];
  /** The result all of SendGrid's addresses got, or "mixed". */
  sendgridResult: SpfResult | "mixed";
  /** check_host() for an address nobody authorises (STRANGER_IP). */
  stranger: SpfCheckHost;
}

export interface SpfOptions {
  /** MAIL FROM (default postmaster@<domain>). */
  sender?: string | undefined;
  /** HELO name for %{h} (default the domain). */
  helo?: string | undefined;
  /** Evaluate for these addresses instead of SendGrid's. */
  ips?: readonly string[] | undefined;
}

/** RFC 7208 §4.5: a record begins with exactly "v=spf1" followed by a space or its end (ABNF literals are case-insensitive). */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1( |$)/i.test(txt);
}

export async function evaluateSpf(domain: string, client: SpfDns, options: SpfOptions = {}): Promise<SpfEvaluation> {
  const dns = cachedDns(client);
  const name = domain.toLowerCase().replace(/\.$/, "");
  const sender = options.sender ?? `postmaster@${name}`;
  const helo = options.helo ?? name;
  const records = await dns.txt(name).then(
    (txts) => txts.filter(isSpfRecord),
    () => [] as string[],
  );
  let ips = options.ips ? [...options.ips] : undefined;
  let sendgridSource: SpfEvaluation["sendgridSource"] = "dns";
  if (!ips) {
    const published = await sendgridAddresses(dns);
    sendgridSource = published.length ? "dns" : "built-in";
    ips = published.length ? published : SENDGRID_NETBLOCKS.map(representative);
  }
  const sendgrid: SpfCheckHost[] = [];
  for (const ip of ips) sendgrid.push(await checkHost(ip, name, sender, helo, dns));
  const stranger = await checkHost(STRANGER_IP, name, sender, helo, dns);
  const first = sendgrid[0]?.result ?? "none";
  return { domain: name, records, sender, sendgridSource, sendgrid, sendgridResult: sendgrid.every((r) => r.result === first) ? first : "mixed", stranger };
}

/** One address in each ip4/ip6 netblock of sendgrid.net's record (top level). Empty when it cannot be read. */
async function sendgridAddresses(dns: SpfDns): Promise<string[]> {
  try {
    const records = (await dns.txt(SENDGRID_SPF_DOMAIN)).filter(isSpfRecord);
    if (records.length !== 1) return [];
    const terms = parseRecord(records[0]!);
    return terms.directives.filter((d) => d.mechanism === "ip4" || d.mechanism === "ip6").map((d) => representative(`${d.network}/${d.mechanism === "ip4" ? d.cidr4 : d.cidr6}`)).slice(0, 32);
  } catch {
    return [];
  }
}

/** The first host address of a netblock (the address itself for /32 and /128). */
function representative(block: string): string {
  const [net, len] = block.split("/") as [string, string];
  if (isIPv6(net)) return Number(len) >= 128 ? net : expandV6(net).replace(/[0-9a-f]{4}$/, (last) => (parseInt(last, 16) | 1).toString(16));
  const n = net.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const host = bits >= 31 ? n : ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (host >>> s) & 255).join(".");
}

// ---------------------------------------------------------------- evaluation

class SpfStop extends Error {
  constructor(
    readonly result: "permerror" | "temperror",
    readonly reason: string,
    readonly rfc: string,
    readonly chain: string[],
    readonly at: string,
  ) {
    super(reason);
  }
}

interface HostOutcome {
  result: SpfResult;
  chain: string[];
  domain: string;
  reason?: string;
  rfc?: string;
}

interface EvalState {
  ip: ParsedIp;
  sender: string;
  helo: string;
  dns: SpfDns;
  lookups: number;
  voids: number;
  usedPtr: boolean;
}

const QUALIFIER_RESULT: Record<string, SpfResult> = { "+": "pass", "-": "fail", "~": "softfail", "?": "neutral" };
/** Where each result other than pass is defined. */
const RESULT_RFC: Partial<Record<SpfResult, string>> = { fail: "RFC 7208 §2.6.4", softfail: "RFC 7208 §2.6.5", neutral: "RFC 7208 §2.6.2" };

export async function checkHost(ip: string, domain: string, sender: string, helo: string, dns: SpfDns): Promise<SpfCheckHost> {
  const parsed = parseIp(ip);
  if (!parsed) throw new RangeError(`not an IP address: ${ip}`);
  const state: EvalState = { ip: parsed, sender, helo, dns, lookups: 0, voids: 0, usedPtr: false };
  let outcome: HostOutcome;
  try {
    outcome = await hostRecord(state, domain.toLowerCase().replace(/\.$/, ""), []);
  } catch (err) {
    if (!(err instanceof SpfStop)) throw err;
    outcome = { result: err.result, chain: [...err.chain], domain: err.at, reason: err.reason, rfc: err.rfc };
  }
  const decidedBy = outcome.chain.length ? outcome.chain.join(" > ") : outcome.result === "none" ? "(no record)" : "(record)";
  const rfc = outcome.rfc ?? RESULT_RFC[outcome.result];
  return {
    ip,
    result: outcome.result,
    decidedBy,
    domain: outcome.domain,
    lookups: state.lookups,
    voidLookups: state.voids,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(rfc && outcome.result !== "pass" ? { rfc } : {}),
    usedPtr: state.usedPtr,
  };
}

/** check_host() proper (§4): the record at `domain`, evaluated for the state's IP. */
async function hostRecord(state: EvalState, domain: string, chain: string[]): Promise<HostOutcome> {
  // §4.3: a malformed or single-label domain, or NXDOMAIN: none.
  if (!validDomain(domain)) return { result: "none", chain, domain, reason: `"${domain}" is not a valid multi-label domain name`, rfc: "RFC 7208 §4.3" };
  const txts = await dnsCall(state, () => state.dns.txt(domain), `TXT ${domain}`, chain, domain);
  const records = txts.filter(isSpfRecord);
  if (records.length === 0) return { result: "none", chain, domain, reason: `no SPF record at ${domain}`, rfc: "RFC 7208 §4.5" };
  if (records.length > 1) throw new SpfStop("permerror", `${records.length} SPF records at ${domain} (exactly one allowed)`, "RFC 7208 §4.5", chain, domain);
  let parsed: ParsedRecord;
  try {
    parsed = parseRecord(records[0]!);
  } catch (err) {
    if (err instanceof SpfSyntaxError) throw new SpfStop("permerror", `${err.message} in the record at ${domain}`, err.rfc, [...chain, err.term], domain);
    throw err;
  }
  for (const d of parsed.directives) {
    const here = [...chain, d.text];
    const matched = await matches(state, d, domain, here);
    if (matched) return { result: QUALIFIER_RESULT[d.qualifier]!, chain: matched.chain, domain: matched.domain };
  }
  // §6.1: redirect applies only when no mechanism matched and the record has no `all`.
  if (parsed.redirect && !parsed.directives.some((d) => d.mechanism === "all")) {
    const here = [...chain, `redirect=${parsed.redirect}`];
    countLookup(state, here, domain);
    const target = await expand(state, parsed.redirect, domain, false);
    const r = await hostRecord(state, target, here);
    if (r.result === "none") throw new SpfStop("permerror", `redirect=${parsed.redirect}: ${r.reason ?? "no SPF record"}`, "RFC 7208 §6.1", here, domain);
    return r;
  }
  return { result: "neutral", chain: [...chain, "(default)"], domain, reason: "no mechanism matched", rfc: "RFC 7208 §4.7" };
}

/** Whether the directive matches; for an include, the term inside it that did (the chain that decided). */
async function matches(state: EvalState, d: Directive, domain: string, here: string[]): Promise<{ chain: string[]; domain: string } | null> {
  if (d.mechanism === "include") {
    countLookup(state, here, domain);
    const target = await expand(state, d.domainSpec!, domain, false);
    const r = await hostRecord(state, target, here);
    // §5.2: none is a permerror; pass matches; fail, softfail, neutral do not.
    if (r.result === "none") throw new SpfStop("permerror", `include:${d.domainSpec}: ${r.reason ?? "no SPF record"}`, "RFC 7208 §5.2", here, domain);
    return r.result === "pass" ? { chain: r.chain, domain: r.domain } : null;
  }
  return (await matchesHere(state, d, domain, here)) ? { chain: here, domain } : null;
}

async function matchesHere(state: EvalState, d: Directive, domain: string, here: string[]): Promise<boolean> {
  switch (d.mechanism) {
    case "all":
      return true;
    case "ip4":
    case "ip6":
      return inNetwork(state.ip, d.network!, d.mechanism === "ip4" ? d.cidr4 : d.cidr6);
    case "include":
      return false; // matches() follows includes
    case "a": {
      countLookup(state, here, domain);
      const target = d.domainSpec ? await expand(state, d.domainSpec, domain, false) : domain;
      const addrs = await addresses(state, target, here, domain);
      if (addrs.length === 0) countVoid(state, here, domain);
      return addrs.some((a) => inNetwork(state.ip, a, state.ip.v === 4 ? d.cidr4 : d.cidr6));
    }
    case "mx": {
      countLookup(state, here, domain);
      const target = d.domainSpec ? await expand(state, d.domainSpec, domain, false) : domain;
      const mxs = validDomain(target) ? await dnsCall(state, () => state.dns.mx(target), `MX ${target}`, here, domain) : [];
      if (mxs.length === 0) countVoid(state, here, domain);
      if (mxs.length > SPF_MX_LIMIT) throw new SpfStop("permerror", `${mxs.length} MX records at ${target} (limit ${SPF_MX_LIMIT})`, "RFC 7208 §4.6.4", here, domain);
      for (const mx of mxs) {
        const host = mx.exchange.replace(/\.$/, "");
        if (host === "") continue; // a null MX (RFC 7505) names no host
        const addrs = await addresses(state, host, here, domain);
        if (addrs.some((a) => inNetwork(state.ip, a, state.ip.v === 4 ? d.cidr4 : d.cidr6))) return true;
      }
      return false;
    }
    case "ptr": {
      countLookup(state, here, domain);
      state.usedPtr = true;
      const target = (d.domainSpec ? await expand(state, d.domainSpec, domain, false) : domain).toLowerCase();
      const names = await validatedNames(state, () => countVoid(state, here, domain));
      return names.some((n) => n === target || n.endsWith(`.${target}`));
    }
    case "exists": {
      countLookup(state, here, domain);
      const target = await expand(state, d.domainSpec!, domain, false);
      // §5.7: always an A lookup, whatever the client's address family.
      const addrs = validDomain(target) ? await dnsCall(state, () => state.dns.a(target), `A ${target}`, here, domain) : [];
      if (addrs.length === 0) countVoid(state, here, domain);
      return addrs.length > 0;
    }
  }
}

function countLookup(state: EvalState, here: string[], domain: string): void {
  state.lookups++;
  if (state.lookups > SPF_LOOKUP_LIMIT) throw new SpfStop("permerror", `more than ${SPF_LOOKUP_LIMIT} DNS-querying terms`, "RFC 7208 §4.6.4", here, domain);
}

function countVoid(state: EvalState, here: string[], domain: string): void {
  state.voids++;
  if (state.voids > SPF_VOID_LOOKUP_LIMIT) throw new SpfStop("permerror", `more than ${SPF_VOID_LOOKUP_LIMIT} void lookups`, "RFC 7208 §4.6.4", here, domain);
}

/** §4.4, §5: a DNS failure other than "no such record" (SERVFAIL, timeout, refused) ends evaluation with temperror. */
async function dnsCall<T>(state: EvalState, run: () => Promise<T>, what: string, chain: string[], domain: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new SpfStop("temperror", `DNS lookup ${what} failed: ${message}`, "RFC 7208 §4.4", chain, domain);
  }
}

async function addresses(state: EvalState, host: string, here: string[], domain: string): Promise<string[]> {
  if (!validDomain(host)) return [];
  return dnsCall(state, () => (state.ip.v === 4 ? state.dns.a(host) : state.dns.aaaa(host)), `${state.ip.v === 4 ? "A" : "AAAA"} ${host}`, here, domain);
}

/**
 * §5.5: the client address's PTR names (the first 10) whose A/AAAA records
 * include the address. A failed PTR lookup matches nothing; a failed address
 * lookup skips that name.
 */
async function validatedNames(state: EvalState, onVoid?: () => void): Promise<string[]> {
  let names: string[];
  try {
    names = await state.dns.ptr(reverseName(state.ip));
  } catch {
    return [];
  }
  if (names.length === 0) onVoid?.();
  const out: string[] = [];
  for (const raw of names.slice(0, SPF_PTR_LIMIT)) {
    const name = raw.toLowerCase().replace(/\.$/, "");
    try {
      const addrs = state.ip.v === 4 ? await state.dns.a(name) : await state.dns.aaaa(name);
      if (addrs.some((a) => sameIp(a, state.ip))) out.push(name);
    } catch {
      // skipped
    }
  }
  return out;
}

// ---------------------------------------------------------------- syntax (§4.6.1, §5, §6, §7.1, §12)

class SpfSyntaxError extends Error {
  constructor(
    message: string,
    readonly term: string,
    readonly rfc: string,
  ) {
    super(message);
  }
}

type Mechanism = "all" | "include" | "a" | "mx" | "ptr" | "ip4" | "ip6" | "exists";

interface Directive {
  text: string;
  qualifier: "+" | "-" | "~" | "?";
  mechanism: Mechanism;
  domainSpec?: string;
  network?: string;
  cidr4: number;
  cidr6: number;
}

interface ParsedRecord {
  directives: Directive[];
  redirect?: string;
  exp?: string;
}

const MECHANISM = /^([+\-~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?=$|[:/])(.*)$/i;
const MODIFIER = /^([a-z][a-z0-9_.-]*)=(.*)$/i;
const CIDR4 = /^(0|[1-9][0-9]?)$/;
const CIDR6 = /^(0|[1-9][0-9]{0,2})$/;
const QNUM = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])";
const IP4_NETWORK = new RegExp(`^${QNUM}\\.${QNUM}\\.${QNUM}\\.${QNUM}$`);

/**
 * Parses a whole record (§4.6: any syntax error anywhere is a permerror, even
 * in terms after `all`, before anything is evaluated). Terms are separated by
 * spaces (§4.6.1, §12: `1*SP`).
 */
function parseRecord(record: string): ParsedRecord {
  const terms = record.slice("v=spf1".length).split(" ").filter((t) => t !== "");
  const out: ParsedRecord = { directives: [] };
  for (const term of terms) {
    const mech = MECHANISM.exec(term);
    if (mech) {
      out.directives.push(parseDirective(term, (mech[1] || "+") as Directive["qualifier"], mech[2]!.toLowerCase() as Mechanism, mech[3]!));
      continue;
    }
    const mod = MODIFIER.exec(term);
    if (!mod) throw new SpfSyntaxError(`"${term}" is neither a mechanism nor a modifier`, term, "RFC 7208 §4.6.1, §12");
    const name = mod[1]!.toLowerCase();
    const value = mod[2]!;
    if (name === "redirect" || name === "exp") {
      // §6: each at most once.
      if (out[name] !== undefined) throw new SpfSyntaxError(`more than one ${name}= modifier`, term, "RFC 7208 §6");
      checkDomainSpec(value, term, false);
      out[name] = value;
    } else {
      // §6: unknown modifiers are ignored, but their value is a macro-string (§12).
      checkMacroString(value, term, false);
    }
  }
  return out;
}

function parseDirective(text: string, qualifier: Directive["qualifier"], mechanism: Mechanism, rest: string): Directive {
  const d: Directive = { text, qualifier, mechanism, cidr4: 32, cidr6: 128 };
  const bad = (why: string) => new SpfSyntaxError(`${why} in "${text}"`, text, "RFC 7208 §5, §12");
  switch (mechanism) {
    case "all":
      if (rest !== "") throw bad("all takes no argument");
      return d;
    case "include":
    case "exists":
      if (!rest.startsWith(":") || rest.length === 1) throw bad(`${mechanism} needs ":<domain-spec>"`);
      checkDomainSpec(rest.slice(1), text, false);
      d.domainSpec = rest.slice(1);
      return d;
    case "ptr":
      if (rest === "") return d;
      if (!rest.startsWith(":") || rest.length === 1) throw bad("ptr takes only \":<domain-spec>\"");
      checkDomainSpec(rest.slice(1), text, false);
      d.domainSpec = rest.slice(1);
      return d;
    case "a":
    case "mx": {
      // [ ":" domain-spec ] [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
      const cidr = /(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/.exec(rest)!;
      const spec = rest.slice(0, cidr.index);
      if (cidr[1] !== undefined) {
        if (!CIDR4.test(cidr[1]) || Number(cidr[1]) > 32) throw bad(`ip4-cidr-length "/${cidr[1]}" is not 0-32 without leading zeros`);
        d.cidr4 = Number(cidr[1]);
      }
      if (cidr[2] !== undefined) {
        if (!CIDR6.test(cidr[2]) || Number(cidr[2]) > 128) throw bad(`ip6-cidr-length "//${cidr[2]}" is not 0-128 without leading zeros`);
        d.cidr6 = Number(cidr[2]);
      }
      if (spec !== "") {
        if (!spec.startsWith(":") || spec.length === 1) throw bad(`${mechanism} takes ":<domain-spec>" and CIDR lengths`);
        checkDomainSpec(spec.slice(1), text, false);
        d.domainSpec = spec.slice(1);
      }
      return d;
    }
    case "ip4":
    case "ip6": {
      if (!rest.startsWith(":")) throw bad(`${mechanism} needs ":<network>"`);
      const slash = rest.indexOf("/");
      const network = slash < 0 ? rest.slice(1) : rest.slice(1, slash);
      const len = slash < 0 ? undefined : rest.slice(slash + 1);
      if (mechanism === "ip4") {
        if (!IP4_NETWORK.test(network)) throw bad(`"${network}" is not a dotted-quad IPv4 address`);
        if (len !== undefined && (!CIDR4.test(len) || Number(len) > 32)) throw bad(`ip4-cidr-length "/${len}" is not 0-32 without leading zeros`);
        d.cidr4 = len === undefined ? 32 : Number(len);
      } else {
        if (!isIPv6(network) || network.includes("%")) throw bad(`"${network}" is not an IPv6 address (RFC 4291 §2.2)`);
        if (len !== undefined && (!CIDR6.test(len) || Number(len) > 128)) throw bad(`ip6-cidr-length "/${len}" is not 0-128 without leading zeros`);
        d.cidr6 = len === undefined ? 128 : Number(len);
      }
      d.network = network;
      return d;
    }
  }
}

const MACRO_LETTERS = "slodiphcrtv";
const EXP_ONLY = "crt";

interface MacroToken {
  literal?: string;
  letter?: string;
  digits?: number;
  reverse?: boolean;
  delimiters?: string;
}

/** §7.1: macro-string = *( macro-expand / macro-literal ). */
function tokenizeMacroString(value: string, term: string, exp: boolean): MacroToken[] {
  const tokens: MacroToken[] = [];
  const bad = (why: string, rfc = "RFC 7208 §7.1") => new SpfSyntaxError(`${why} in "${term}"`, term, rfc);
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c !== "%") {
      const code = c.charCodeAt(0);
      if (code < 0x21 || code > 0x7e) throw bad(`character ${JSON.stringify(c)} is not allowed`);
      tokens.push({ literal: c });
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === "%") tokens.push({ literal: "%" });
    else if (next === "_") tokens.push({ literal: " " });
    else if (next === "-") tokens.push({ literal: "%20" });
    else if (next === "{") {
      const m = /^%\{([a-z])([0-9]*)(r?)([.\-+,/_=]*)\}/i.exec(value.slice(i));
      if (!m) throw bad("a malformed macro");
      const letter = m[1]!;
      if (!MACRO_LETTERS.includes(letter.toLowerCase())) throw bad(`unknown macro letter "${letter}"`);
      if (!exp && EXP_ONLY.includes(letter.toLowerCase())) throw bad(`macro %{${letter}} is allowed only in exp= text`, "RFC 7208 §7.2");
      if (m[2] !== "" && Number(m[2]) === 0) throw bad("a macro keeping zero labels", "RFC 7208 §7.3");
      tokens.push({ letter, ...(m[2] ? { digits: Number(m[2]) } : {}), reverse: m[3] !== "", delimiters: m[4] || "." });
      i += m[0].length;
      continue;
    } else throw bad(`"%" must start %{…}, %%, %_ or %-`);
    i += 2;
  }
  return tokens;
}

function checkMacroString(value: string, term: string, exp: boolean): MacroToken[] {
  return tokenizeMacroString(value, term, exp);
}

const DOMAIN_END = /\.([a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])\.?$/i;

/** §7.1: domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand. */
function checkDomainSpec(value: string, term: string, exp: boolean): void {
  const tokens = checkMacroString(value, term, exp);
  if (tokens.length === 0) throw new SpfSyntaxError(`an empty domain-spec in "${term}"`, term, "RFC 7208 §7.1");
  if (tokens[tokens.length - 1]!.letter !== undefined) return;
  let tail = "";
  for (let j = tokens.length - 1; j >= 0 && tokens[j]!.letter === undefined; j--) tail = tokens[j]!.literal + tail;
  if (!DOMAIN_END.test(tail)) throw new SpfSyntaxError(`domain-spec "${value}" does not end in "." and a top-level label`, term, "RFC 7208 §7.1");
}

// ---------------------------------------------------------------- macros (§7)

async function expand(state: EvalState, spec: string, domain: string, exp: boolean): Promise<string> {
  const tokens = tokenizeMacroString(spec, spec, exp);
  const at = state.sender.lastIndexOf("@");
  const local = at > 0 ? state.sender.slice(0, at) : "postmaster";
  const senderDomain = at >= 0 ? state.sender.slice(at + 1) : state.sender;
  let out = "";
  for (const t of tokens) {
    if (t.literal !== undefined) {
      out += t.literal;
      continue;
    }
    const letter = t.letter!.toLowerCase();
    let value: string;
    switch (letter) {
      case "s":
        value = `${local}@${senderDomain}`;
        break;
      case "l":
        value = local;
        break;
      case "o":
        value = senderDomain;
        break;
      case "d":
        value = domain;
        break;
      case "i":
        value = state.ip.v === 4 ? state.ip.text : nibbles(state.ip).join(".");
        break;
      case "p": {
        state.usedPtr = true;
        const names = await validatedNames(state);
        value = names.find((n) => n === domain || n.endsWith(`.${domain}`)) ?? names[0] ?? "unknown";
        break;
      }
      case "h":
        value = state.helo;
        break;
      case "v":
        value = state.ip.v === 4 ? "in-addr" : "ip6";
        break;
      default:
        value = "";
    }
    const parts = splitOn(value, t.delimiters!);
    if (t.reverse) parts.reverse();
    const kept = t.digits !== undefined ? parts.slice(Math.max(0, parts.length - t.digits)) : parts;
    let joined = kept.join(".");
    if (t.letter !== letter) joined = encodeURIComponent(joined);
    out += joined;
  }
  // §7.3: a domain longer than 253 characters loses labels on the left.
  let name = out.replace(/\.$/, "");
  while (name.length > 253 && name.includes(".")) name = name.slice(name.indexOf(".") + 1);
  return name;
}

function splitOn(value: string, delimiters: string): string[] {
  const parts: string[] = [""];
  for (const c of value) {
    if (delimiters.includes(c)) parts.push("");
    else parts[parts.length - 1] += c;
  }
  return parts;
}

// ---------------------------------------------------------------- addresses

interface ParsedIp {
  v: 4 | 6;
  text: string;
}

function parseIp(ip: string): ParsedIp | null {
  if (IP4_NETWORK.test(ip)) return { v: 4, text: ip };
  if (isIPv6(ip)) return { v: 6, text: ip };
  return null;
}

function inNetwork(ip: ParsedIp, network: string, prefix: number): boolean {
  const family = IP4_NETWORK.test(network) ? 4 : isIPv6(network) ? 6 : 0;
  if (family !== ip.v) return false;
  const list = new BlockList();
  list.addSubnet(maskNetwork(network, prefix, family), prefix, family === 4 ? "ipv4" : "ipv6");
  return list.check(ip.text, family === 4 ? "ipv4" : "ipv6");
}

function sameIp(a: string, ip: ParsedIp): boolean {
  return inNetwork(ip, a, ip.v === 4 ? 32 : 128);
}

/** The network address of `ip/prefix` (BlockList wants the host bits clear). */
function maskNetwork(ip: string, prefix: number, family: 4 | 6): string {
  if (family === 4) {
    const n = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (n & mask) >>> 0;
    return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join(".");
  }
  const groups = expandV6(ip).split(":").map((g) => parseInt(g, 16));
  const masked = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return masked.map((g) => g.toString(16)).join(":");
}

/** Eight 4-digit groups. */
function expandV6(ip: string): string {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split(".").map(Number);
    text = text.slice(0, v4.index) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? (text.split("::") as [string, string]) : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.padStart(4, "0")).join(":");
}

function nibbles(ip: ParsedIp): string[] {
  return expandV6(ip.text).replace(/:/g, "").split("");
}

function reverseName(ip: ParsedIp): string {
  return ip.v === 4 ? `${ip.text.split(".").reverse().join(".")}.in-addr.arpa` : `${nibbles(ip).reverse().join(".")}.ip6.arpa`;
}

/** §4.3: labels of 1–63 characters, at most 253 in all, at least two labels. */
function validDomain(name: string): boolean {
  const n = name.replace(/\.$/, "");
  if (n.length === 0 || n.length > 253) return false;
  const labels = n.split(".");
  return labels.length >= 2 && labels.every((l) => l.length >= 1 && l.length <= 63);
}

/** One answer per query within one evaluation (the limits still count every term). */
function cachedDns(dns: SpfDns): SpfDns {
  const memo = new Map<string, Promise<unknown>>();
  const once =
    <T>(type: string, run: (name: string) => Promise<T>) =>
    (name: string): Promise<T> => {
      const key = `${type} ${name.toLowerCase()}`;
      let p = memo.get(key) as Promise<T> | undefined;
      if (!p) {
        p = run(name);
        memo.set(key, p);
        p.catch(() => undefined);
      }
      return p;
    };
  return {
    txt: once("TXT", (n) => dns.txt(n)),
    a: once("A", (n) => dns.a(n)),
    aaaa: once("AAAA", (n) => dns.aaaa(n)),
    mx: once("MX", (n) => dns.mx(n)),
    ptr: once("PTR", (n) => dns.ptr(n)),
  };
}
