import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/package-root.js";

/**
 * CLI start-up cost: the wall time of `node -- bin/bookflow.js --version`,
 * `--help` and two commands' `--help` (a command's own help text loads its
 * registration only), compared with bare `node -e 0`. Commands are run round-robin (one of
 * each per round) so a change in machine load weighs on all of them alike.
 */

export const STARTUP_TARGET_RATIO = 1.3;

export interface StartupOptions {
  runs?: number;
  warmups?: number;
  log?: (line: string) => void;
}

interface Case {
  key: string;
  label: string;
  args: string[];
}

export async function benchStartup(options: StartupOptions = {}): Promise<Record<string, number | string>> {
  const runs = Math.max(15, options.runs ?? 15);
  const warmups = options.warmups ?? 2;
  const log = options.log ?? ((line: string) => console.log(line));
  const root = packageRoot();
  const bin = join(root, "bin", "bookflow.js");
  if (!existsSync(join(root, "dist", "cli", "bookflow.js"))) throw new Error("bookflow is not built: run `npm run build` first.");

  const cases: Case[] = [
    { key: "bare", label: "node -e 0", args: ["-e", "0"] },
    { key: "version", label: "bookflow --version", args: ["--", bin, "--version"] },
    { key: "help", label: "bookflow --help", args: ["--", bin, "--help"] },
    { key: "verifyHelp", label: "bookflow verify --help", args: ["--", bin, "verify", "--help"] },
    { key: "reconcileHelp", label: "bookflow bookings reconcile --help", args: ["--", bin, "bookings", "reconcile", "--help"] },
  ];
  const samples = new Map<string, number[]>(cases.map((c) => [c.key, []]));
  for (let round = 0; round < warmups + runs; round++) {
    for (const c of cases) {
      const ms = timeOnce(c.args, root);
      if (round >= warmups) samples.get(c.key)!.push(ms);
    }
  }

  const figures: Record<string, number | string> = { runs, warmups, targetRatio: STARTUP_TARGET_RATIO };
  const bareMedian = median(samples.get("bare")!);
  const rows: string[][] = [["command", "median ms", "p90 ms", "min ms", "x node"]];
  let worst = 0;
  for (const c of cases) {
    const s = samples.get(c.key)!;
    const med = median(s);
    const p90 = percentile(s, 90);
    figures[`${c.key}.medianMs`] = round1(med);
    figures[`${c.key}.p90Ms`] = round1(p90);
    if (c.key !== "bare") {
      const ratio = med / bareMedian;
      figures[`${c.key}.ratio`] = round2(ratio);
      worst = Math.max(worst, ratio);
    }
    rows.push([c.label, fmt(med), fmt(p90), fmt(Math.min(...s)), c.key === "bare" ? "1.00" : (med / bareMedian).toFixed(2)]);
  }
  figures.verdict = worst <= STARTUP_TARGET_RATIO ? "ok" : "over target";
  log(table(rows));
  log(`${runs} runs each after ${warmups} warm-ups; target: at most ${STARTUP_TARGET_RATIO}x bare node -> ${figures.verdict} (worst ${worst.toFixed(2)}x)`);
  return figures;
}

function timeOnce(args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${String(r.stderr).trim()}`);
  return ms;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n");
}

const fmt = (ms: number) => ms.toFixed(1);
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
