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
    description: "wall time of `bookflow --version` and `--help` against bare `node -e 0` (target: at most 2.5x)",
    run: async () => (await import("./startup.js")).benchStartup(),
  },
  {
    name: "intake",
    description: "signed webhook intake through the app's HTTP routes on the real PostgreSQL: events/s, p50/p99 (target: at least 1,000 events/s)",
    run: async () => (await import("./intake.js")).benchIntake(),
  },
  {
    name: "sandbox",
    description: "start-up of the whole sandbox world on embedded PGlite: first start, and starts reusing the data directory (target: under 2 s)",
    run: async () => (await import("./sandbox.js")).benchSandbox(),
  },
];
