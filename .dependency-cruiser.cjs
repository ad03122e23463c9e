/**
 * The folder table of the architecture (docs/development.md, "Layout"), as
 * rules `npm run lint` enforces: no import cycle anywhere, and no import
 * upward. Type-only imports do not count as a dependency between layers
 * (they vanish at compile time); value imports do.
 */
const values = { dependencyTypesNot: ["type-only"] };

module.exports = {
  forbidden: [
    { name: "no-cycle", severity: "error", comment: "An import cycle: two modules that need each other. Move what both need into a lower module.", from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } } },
    { name: "below-commands", severity: "error", comment: "Nothing below commands/ (src/, checks/, scenarios/) prints, exits or imports a command.", from: { path: "^(src|checks|scenarios)/" }, to: { path: "^(commands|bin)/" } },
    { name: "handler-to-handler", severity: "error", comment: "A command handler never imports another: shared logic is a use case in src/ops, shared CLI rendering is in commands/support.", from: { path: "^commands/handlers/([^/]+)\\.ts$" }, to: { path: "^commands/handlers/", pathNot: "^commands/handlers/$1\\.ts$" } },
    { name: "config-is-the-floor", severity: "error", comment: "src/config (env, config file, schemas, secret redaction) imports only errors.", from: { path: "^src/config/" }, to: { path: "^src/(?!config/|errors\\.ts$)" } },
    { name: "db-below-domain", severity: "error", comment: "src/db (Prisma client, migrations, seed) imports only config, errors and the generated client.", from: { path: "^src/db/" }, to: { path: "^src/(core|providers|engine|ops|app|sandbox)/|^src/context\\.ts$|^(checks|scenarios)/", ...values } },
    { name: "providers-below-domain", severity: "error", comment: "src/providers are clients and adapters: they import config, errors and the ports they implement (src/core/ports.ts).", from: { path: "^src/providers/" }, to: { path: "^src/(core|db|engine|ops|app|sandbox)/|^src/context\\.ts$|^(checks|scenarios)/", pathNot: "^src/core/ports\\.ts$", ...values } },
    { name: "core-is-pure-domain", severity: "error", comment: "src/core (booking rules, intake, ports) imports db, config and errors; from providers only types (a port's shape).", from: { path: "^src/core/" }, to: { path: "^src/(providers|engine|ops|app|sandbox)/|^src/context\\.ts$|^(checks|scenarios)/", ...values } },
    { name: "engine-below-ops", severity: "error", comment: "src/engine (runner, facts, reporters) never imports use cases, the app or the sandbox.", from: { path: "^src/engine/" }, to: { path: "^src/(ops|app|sandbox)/", ...values } },
    { name: "app-below-ops", severity: "error", comment: "src/app (the reference app's routes) stands on core, providers, db and config.", from: { path: "^src/app/" }, to: { path: "^src/(engine|ops|sandbox)/|^(checks|scenarios)/", ...values } },
    { name: "ops-below-sandbox", severity: "error", comment: "Use cases (src/ops) never import the sandbox's emulators.", from: { path: "^src/ops/" }, to: { path: "^src/sandbox/", ...values } },
    { name: "checks-decide-only", severity: "error", comment: "A check decides from facts: it imports the engine's check API, config and core rules, never clients, the database or use cases.", from: { path: "^checks/" }, to: { path: "^src/(db|ops|app|sandbox)/|^src/context\\.ts$", ...values } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|src/generated|coverage)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
