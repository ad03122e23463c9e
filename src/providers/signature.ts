/**
 * The result of checking a webhook signature, shared by the Calendly and
 * Stripe verifiers. An invalid signature is an expected outcome, so it is a
 * value, never an exception.
 */

export type SignatureFailure = "missing_header" | "malformed_header" | "stale_timestamp" | "bad_signature";

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure; message: string };

export function signatureFailure(reason: SignatureFailure, message: string): { ok: false; reason: SignatureFailure; message: string } {
  return { ok: false, reason, message };
}

/** The parts of a `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header. */
export interface ParsedSignatureHeader {
  timestamp: number;
  signatures: string[];
}

/**
 * Parses the `t=…,v1=…` header shape both Calendly and Stripe use. Returns a
 * reason string when the header is malformed: no `t`, a `t` that is not a
 * whole number of seconds, or no `v1` entry. Other schemes (`v0=`) are ignored.
 */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | { malformed: string } {
  let timestamp: number | undefined;
  let timestampSeen = false;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (timestampSeen) return { malformed: "The header carries more than one t= timestamp." };
      timestampSeen = true;
      if (/^\d{1,12}$/.test(value)) timestamp = Number(value);
    } else if (key === "v1" && value !== "") {
      signatures.push(value);
    }
  }
  if (!timestampSeen) return { malformed: "The header has no t= timestamp." };
  if (timestamp === undefined) return { malformed: "The header's t= timestamp is not a whole number of seconds." };
  if (signatures.length === 0) return { malformed: "The header has no v1= signature." };
  return { timestamp, signatures };
}

/**
 * What can be told from the header alone, before the body is read: missing, or not of the `t=…,v1=…` shape.
 * `{ ok: true }` says only that the header is worth checking against a body.
 */
export function signatureHeaderShape(header: string | undefined | null, headerName: string): { ok: true; header: string; parsed: ParsedSignatureHeader } | { ok: false; reason: SignatureFailure; message: string } {
  if (header === undefined || header === null || header.trim() === "") return signatureFailure("missing_header", `The ${headerName} header is missing.`);
  const parsed = parseSignatureHeader(header);
  if ("malformed" in parsed) return signatureFailure("malformed_header", parsed.malformed);
  return { ok: true, header, parsed };
}

/**
 * How far a signature's timestamp is from now, as a failure message, or null
 * when it is within tolerance. A tolerance of 0 or less disables the check
 * (as in Stripe's SDK), which is only meant for replaying stored deliveries.
 */
export function timestampProblem(timestampSeconds: number, nowMs: number, toleranceSeconds: number): string | null {
  if (toleranceSeconds <= 0) return null;
  const age = Math.floor(nowMs / 1000) - timestampSeconds;
  if (age > toleranceSeconds) return `The signature is ${age} s old; at most ${toleranceSeconds} s is accepted.`;
  if (-age > toleranceSeconds) return `The signature is dated ${-age} s in the future; at most ${toleranceSeconds} s of clock skew is accepted.`;
  return null;
}
