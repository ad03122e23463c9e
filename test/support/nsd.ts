import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real authoritative DNS server for the email-authentication tests: NSD
 * (Debian's `nsd`, installed by .ci/run when missing) serving zone files
 * generated in a temporary folder, on 127.0.0.1 and a free port, in the
 * foreground (`-d`), as the current user, with every path of its own in that
 * folder. A missing nsd fails the tests that need it: they never skip.
 *
 * Zones are given as origin → resource-record lines in zone-file syntax, names
 * relative to the origin or absolute; the SOA and NS records are added here.
 * txt() writes a TXT record's value as quoted character-strings.
 */

export interface RunningNsd {
  port: number;
  /** `127.0.0.1:<port>`, the form BOOKFLOW_DNS_SERVER and createDnsClient take. */
  address: string;
  dir: string;
  stop(): Promise<void>;
}

/** The nsd binary: on PATH, else Debian's /usr/sbin/nsd. Throws (the test fails) when there is none. */
export function nsdBinary(): string {
  for (const candidate of ["nsd", "/usr/sbin/nsd"]) {
    const r = spawnSync(candidate, ["-v"], { encoding: "utf8" });
    if (!r.error) return candidate;
  }
  throw new Error("nsd is not installed: the DNS tests need a real authoritative server (apt-get install nsd; .ci/run installs it when missing)");
}

/** A TXT record line: the value split into ≤255-byte character-strings (RFC 7208 §3.3 joins them without spaces), quoted and escaped. */
export function txt(name: string, value: string | string[]): string {
  const strings = Array.isArray(value) ? value : chunks(value);
  return `${name} IN TXT ${strings.map((s) => `"${s.replace(/[\\"]/g, "\\$&")}"`).join(" ")}`;
}

function chunks(value: string): string[] {
  if (value === "") return [""];
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out;
}

export async function startNsd(zones: Record<string, string[]>): Promise<RunningNsd> {
  const binary = nsdBinary();
  const dir = mkdtempSync(join(tmpdir(), "bookflow-nsd-"));
  const port = await freePort();
  const zoneConf: string[] = [];
  Object.entries(zones).forEach(([origin, lines], i) => {
    const file = `zone${i}.zone`;
    const body = [`$ORIGIN ${origin}.`, "$TTL 60", `@ IN SOA ns.${origin}. hostmaster.${origin}. 1 3600 600 86400 60`, `@ IN NS ns.${origin}.`, `ns IN A 127.0.0.1`, ...lines, ""].join("\n");
    writeFileSync(join(dir, file), body);
    zoneConf.push("zone:", `  name: "${origin}"`, `  zonefile: "${file}"`);
  });
  const conf = [
    "server:",
    `  ip-address: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${join(dir, "nsd.pid")}"`,
    '  database: ""',
    `  zonelistfile: "${join(dir, "zone.list")}"`,
    `  xfrdfile: "${join(dir, "xfrd.state")}"`,
    `  xfrdir: "${dir}"`,
    `  logfile: "${join(dir, "nsd.log")}"`,
    "  server-count: 1",
    "  do-ip6: no",
    "  verbosity: 1",
    "  hide-version: yes",
    // Answers in zone-file order: the ptr case past the 10th PTR name depends on it (RFC 7208 §4.6.4: "the first 10").
    "  round-robin: no",
    "remote-control:",
    "  control-enable: no",
    ...zoneConf,
    "",
  ].join("\n");
  const confFile = join(dir, "nsd.conf");
  writeFileSync(confFile, conf);
  const check = spawnSync(binary.replace(/nsd$/, "nsd-checkconf"), [confFile], { encoding: "utf8" });
  if (!check.error && check.status !== 0) throw new Error(`nsd-checkconf rejected the generated configuration: ${check.stderr || check.stdout}`);

  const child: ChildProcess = spawn(binary, ["-d", "-c", confFile], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when it answers the first zone's SOA.
  const first = Object.keys(zones)[0]!;
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([address]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = existsSync(join(dir, "nsd.log")) ? readFileSync(join(dir, "nsd.log"), "utf8") : "";
      await stop();
      throw new Error(`nsd exited (${child.exitCode}) before answering: ${output}${log}`);
    }
    try {
      await resolver.resolveSoa(first);
      break;
    } catch {
      if (Date.now() > deadline) {
        const log = existsSync(join(dir, "nsd.log")) ? readFileSync(join(dir, "nsd.log"), "utf8") : "";
        await stop();
        throw new Error(`nsd did not answer on ${address} within 10 s: ${output}${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { port, address, dir, stop };
}

/** A port free for both UDP and TCP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
  throw new Error("no free port for nsd on 127.0.0.1");
}
