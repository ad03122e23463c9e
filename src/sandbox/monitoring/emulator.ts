import { randomBytes } from "node:crypto";
import { startEmulator, type Faults, type RunningEmulator } from "../emulator-server.js";

/**
 * Sentry's envelope endpoint and Datadog's key validation, enough for the
 * monitoring checks to run in the sandbox: `SENTRY_DSN` points here with the
 * sandbox's public key, and `DATADOG_API_BASE` serves `GET /api/v1/validate`.
 */
export interface MonitoringEmulator extends RunningEmulator {
  sentryDsn: string;
  /** Envelopes received: (project id, first header line). */
  envelopes(): { projectId: string; header: string; at: number }[];
}

export async function startMonitoringEmulator(options: { sentryKey: string; sentryProjectId?: string; datadogApiKey: string; faults?: Faults }): Promise<MonitoringEmulator> {
  const projectId = options.sentryProjectId ?? "1";
  const received: { projectId: string; header: string; at: number }[] = [];
  const sentryKeyOf = (auth: string | undefined, query: URLSearchParams) => /sentry_key=([^,\s]+)/.exec(auth ?? "")?.[1] ?? query.get("sentry_key") ?? undefined;
  const emulator = await startEmulator({
    name: "monitoring",
    faults: options.faults,
    routes: [
      {
        method: "POST",
        path: "/api/:project/envelope/",
        handler: (req) => {
          if (sentryKeyOf(req.headers["x-sentry-auth"] as string | undefined, req.query) !== options.sentryKey) {
            return { status: 401, body: { detail: "Invalid api key" } };
          }
          if (req.params.project !== projectId) return { status: 404, body: { detail: "Unknown project" } };
          const header = req.rawBody.toString("utf8").split("\n")[0] ?? "";
          received.push({ projectId: req.params.project!, header, at: Date.now() });
          return { status: 200, body: { id: randomBytes(16).toString("hex") } };
        },
      },
      {
        method: "GET",
        path: "/api/v1/validate",
        handler: (req) =>
          req.headers["dd-api-key"] === options.datadogApiKey ? { status: 200, body: { valid: true } } : { status: 403, body: { errors: ["Forbidden"] } },
      },
    ],
  });
  return Object.assign(emulator, {
    sentryDsn: `http://${options.sentryKey}@127.0.0.1:${emulator.port}/${projectId}`,
    envelopes: () => [...received],
  });
}
