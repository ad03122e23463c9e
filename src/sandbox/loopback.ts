/**
 * The emulators deliver webhooks only to this machine: a subscription or
 * endpoint registered on any other host is recorded as "not delivered",
 * never sent (the sandbox never reaches the internet, and a copied production
 * URL must not receive sandbox events). Shared by every emulator that
 * delivers webhooks.
 */
export const NOT_LOOPBACK = "not delivered: the emulator only delivers to loopback addresses";

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
    return host === "localhost" || host === "::1" || /^127\./.test(host);
  } catch {
    return false;
  }
}
