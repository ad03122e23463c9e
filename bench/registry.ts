/**
 * The benchmarks `npm run bench` knows. To add one: a module under bench/ that
 * exports an async function returning its figures, and one entry here. Entries
 * import their module lazily, so running one bench loads only that one.
 */
export type BenchFigures = Record<string, number | string>;

export interface Bench {
  /** Short kebab-case name, used on the command line: `npm run bench -- startup`. */
  name: string;
  /** One line saying what it measures. */
  description: string;
  run(): Promise<BenchFigures>;
}

export const benches: Bench[] = [
  {
    name: "startup",
    description: "wall time of `bookflow --version`, `--help`, `verify --help` and `bookings reconcile --help` against bare `node -e 0` (target: at most 1.3x)",
    run: async () => (await import("./startup.js")).benchStartup(),
  },
  {
    name: "intake",
    description:
      "signed webhook intake through the app's HTTP routes on the real PostgreSQL beside `pgbench -N -c 32 -j 2` on the same server in the same run: events/s, tx/s and their ratio, PostgreSQL CPU per event, p50/p99 (target: at least 0.3x pgbench's tx/s, at most 0.5 ms of PostgreSQL CPU per event)",
    run: async () => (await import("./intake.js")).benchIntake(),
  },
  {
    name: "webhooks-bench",
    description: "`bookflow webhooks bench`'s generator vs autocannon on a loopback endpoint that answers 200 at once: requests/s and ratio (target: at least 0.8x)",
    run: async () => (await import("./webhooks-bench.js")).benchWebhooksBench(),
  },
  {
    name: "sandbox",
    description: "start-up of the whole sandbox world on embedded PGlite: a new data directory without and with the image, beside starts reusing one, and `sandbox run -- verify` as a process (targets: from the image <= 3 s, sandbox run -- verify <= 2.5 s)",
    run: async () => (await import("./sandbox.js")).benchSandbox(),
  },
  {
    name: "scenarios",
    description: "wall time of the four end-to-end scenarios in the sandbox (sandbox driver, cleanup on) on the real PostgreSQL: in-process median of 5 runs, and one `bookflow scenarios run` process",
    run: async () => (await import("./scenarios.js")).benchScenarios(),
  },
  {
    name: "verify-latency",
    description: "the whole `bookflow verify` in the sandbox with 300 ms added to every emulator request and DNS query: wall time against the longest prerequisite chain and the sequential sum (target: wall at most 1.5x the chain)",
    run: async () => (await import("./verify-latency.js")).benchVerifyLatency(),
  },
  {
    name: "reconcile",
    description: "`bookflow bookings reconcile` as a process over 100,000 and 200,000 bookings (real PostgreSQL, emulators seeded to match, 1% planted disagreements of each kind): wall time, peak RSS, found per kind (targets: all planted found and nothing else, RSS < 300 MB, 200k <= 2.2x 100k)",
    run: async () => (await import("./reconcile.js")).benchReconcile(),
  },
  {
    name: "stats",
    description: "`bookflow stats` over 100,000 and 1,000,000 bookings (plus emails and webhook events) generated in a scratch database on the real PostgreSQL: query time beside a bare count(*) of the same rows, the process beside `bookflow --version`, peak RSS, and the 1M / 100k ratio (target: 1M in a few seconds, linear, RSS flat)",
    run: async () => (await import("./stats.js")).benchStats(),
  },
  {
    name: "crash",
    description: "the crash harness: `bookflow serve` on its own PostgreSQL under signed traffic with duplicates, 3 kill -9 and 2 immediate database stops, once alone and once as two instances behind PgBouncer: deliveries, kills, outages, and what was lost or doubled (floors: 0; duplicate emails at most one per crash per instance)",
    run: async () => (await import("./crash.js")).benchCrash(),
  },
  {
    name: "monitor",
    description: "`bookflow monitor` as a process in the sandbox over 100 intervals of 1 s, scraped after every run: CPU and RSS (start vs end: must not grow) beside the same checks run 100 times in one process and a bare node process",
    run: async () => (await import("./monitor.js")).benchMonitor(),
  },
];
