/**
 * Email authentication as DNS publishes it, one module per standard: SPF
 * (./spf.ts, RFC 7208), DKIM keys (./dkim.ts, RFC 6376, 8463, 8301) and DMARC
 * (./dmarc.ts, RFC 7489). Each evaluator reads DNS through a DnsClient and
 * returns a value: what is published, what receivers conclude, and the
 * problems found as stable codes the checks decide on. SPF turns DNS failures
 * into temperror, as receivers do; DKIM and DMARC let failures other than "no
 * record" propagate as ProviderError (the checks report them as errors).
 */

// ---------------------------------------------------------------- SPF (./spf.ts)

export {
  checkHost,
  evaluateSpf,
  isSpfRecord,
  SENDGRID_NETBLOCKS,
  SENDGRID_SPF_DOMAIN,
  SPF_LOOKUP_LIMIT,
  SPF_MX_LIMIT,
  SPF_PTR_LIMIT,
  SPF_VOID_LOOKUP_LIMIT,
  STRANGER_IP,
  type SpfCheckHost,
  type SpfDns,
  type SpfEvaluation,
  type SpfOptions,
  type SpfResult,
} from "./spf.js";

// ---------------------------------------------------------------- DKIM (./dkim.ts)

export { DKIM_RFC, evaluateDkim, isDkimKeyRecord, parseDkimKey, type DkimDns, type DkimProblem, type DkimSelectorResult, type DkimWarning } from "./dkim.js";

// ---------------------------------------------------------------- DMARC (./dmarc.ts)

export { evaluateDmarc, isDmarcRecord, organizationalDomain, type DmarcEvaluation, type DmarcPolicy, type DmarcProblem, type DmarcReportDestination } from "./dmarc.js";
