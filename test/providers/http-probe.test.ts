import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createProbeClient, probe } from "../../src/providers/http-probe.js";

/**
 * The HTTP probe: answers, network errors as values (never thrown), and the
 * certificate verdict for https. The certificates are throwaway, for 127.0.0.1
 * only (generated with openssl; the key protects nothing).
 */

const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIpXKEe031gRnvwfg
0GEfdk8VC0ufCXcUh5oz1fhL9c+hRANCAATGpF30iYJpOtRHsyV/J69N8TTmDiZF
qcG0EemW7g9wU4Jfs0XtjldSz2a9RlYJvFVH+TvReubUMIFFdFDdWC0D
-----END PRIVATE KEY-----`;
/** Self-signed, CN=localhost, SAN IP:127.0.0.1 and DNS:localhost, valid until 2126. */
const CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUQysCGS0C6jD6tzXTKUPrd7e3kS0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTA1MDgxOVoYDzIxMjYxMTAx
MDUwODE5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATGpF30iYJpOtRHsyV/J69N8TTmDiZFqcG0EemW7g9wU4Jfs0XtjldS
z2a9RlYJvFVH+TvReubUMIFFdFDdWC0Do28wbTAdBgNVHQ4EFgQUWigPEAbfqtc+
FnSZtyR77dVGgCYwHwYDVR0jBBgwFoAUWigPEAbfqtc+FnSZtyR77dVGgCYwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDRwAwRAIgMTm58l1UZ/tL5OOw6oYnkWbMWoBCF8lGeokCbVzZNVECIAVS
v1Fwk8zn3S3i00NtFesTCAm4t1l5VcFmW+ydo5D6
-----END CERTIFICATE-----`;
/** The same key, self-signed, already expired (notAfter before notBefore). */
const EXPIRED_CERT = `-----BEGIN CERTIFICATE-----
MIIBZzCCAQ2gAwIBAgIUdrDaRLNi5BC61RMmo8gHZYMJwAcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MB4XDTI2MTEyNTA1MDg0OVoXDTI2MTEyNDA1
MDg0OVowFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAExqRd9ImCaTrUR7MlfyevTfE05g4mRanBtBHplu4PcFOCX7NF7Y5XUs9m
vUZWCbxVR/k70Xrm1DCBRXRQ3VgtA6M9MDswGgYDVR0RBBMwEYcEfwAAAYIJbG9j
YWxob3N0MB0GA1UdDgQWBBRaKA8QBt+q1z4WdJm3JHvt1UaAJjAKBggqhkjOPQQD
AgNIADBFAiEAqD+BOMWPv/+DDAIm6rg/Ql6xatpmuPiCo/8HfBbIwHICIBtgLarQ
g4YbEcVlCVl4J3OFXVgHYPw1OezzVPNGmgJV
-----END CERTIFICATE-----`;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const https = (cert: string) =>
  listen(
    createHttpsServer({ key: KEY, cert }, (_req, res) => {
      res.setHeader("strict-transport-security", "max-age=63072000");
      res.end("secure");
    }),
  );

describe("probe", () => {
  it("reports status, lower-case headers, body and latency; http has no tls verdict", async () => {
    const port = await listen(
      createHttpServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          res.writeHead(201, { "X-Echo-Method": req.method ?? "", "Set-Cookie": ["a=1", "b=2"] });
          res.end(`got ${body} with ${req.headers["x-test"]}`);
        });
      }),
    );
    const r = await probe(`http://127.0.0.1:${port}/x`, { method: "post", headers: { "x-test": "yes" }, body: "hello" });
    expect(r).toMatchObject({ method: "POST", status: 201, bodyText: "got hello with yes" });
    expect(r.headers["x-echo-method"]).toBe("POST");
    expect(r.headers["set-cookie"]).toBe("a=1, b=2");
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.tls).toBeUndefined();
    expect(r.error).toBeUndefined();
  });

  it("turns a refused connection into a result with the error, not a throw", async () => {
    const server = createHttpServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await probe(`http://127.0.0.1:${port}/`);
    expect(r.status).toBeNull();
    expect(r.errorCode).toBe("ECONNREFUSED");
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it("gives up after timeoutMs and says so", async () => {
    const port = await listen(createHttpServer(() => undefined));
    const r = await probe(`http://127.0.0.1:${port}/`, { timeoutMs: 200 });
    expect(r.status).toBeNull();
    expect(r.errorCode).toBe("TIMEOUT");
    expect(r.error).toBe("no answer within 200 ms");
  });

  it("reports a self-signed certificate as invalid, with the reason", async () => {
    const port = await https(CERT);
    const r = await probe(`https://127.0.0.1:${port}/`);
    expect(r.status).toBeNull();
    expect(r.tls).toEqual({ valid: false, error: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  });

  it("reports a trusted certificate as valid, with its expiry", async () => {
    const port = await https(CERT);
    const client = createProbeClient({ ca: CERT });
    try {
      const r = await client.probe(`https://127.0.0.1:${port}/`);
      expect(r.status).toBe(200);
      expect(r.bodyText).toBe("secure");
      expect(r.tls).toEqual({ valid: true, validTo: expect.stringMatching(/^2126-/) as unknown as string });
    } finally {
      await client.close();
    }
  });

  it("reports an expired certificate as invalid, even from a trusted issuer", async () => {
    const port = await https(EXPIRED_CERT);
    const client = createProbeClient({ ca: EXPIRED_CERT });
    try {
      const r = await client.probe(`https://127.0.0.1:${port}/`);
      expect(r.status).toBeNull();
      expect(r.tls).toEqual({ valid: false, error: "CERT_HAS_EXPIRED" });
    } finally {
      await client.close();
    }
  });

  it("reports a URL that does not parse without sending anything", async () => {
    const r = await probe("not a url");
    expect(r).toMatchObject({ status: null, errorCode: "ERR_INVALID_URL" });
  });
});
