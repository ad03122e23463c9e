/**
 * A server that answers every request with what `answer(method, path)` says:
 * contract tests hand a client the leanest answers a provider's spec allows.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface CannedServer {
  url: string;
  close(): Promise<void>;
}

export async function startCannedServer(answer: (method: string, path: string) => { status: number; body?: unknown }): Promise<CannedServer> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const { status, body } = answer(req.method ?? "GET", new URL(req.url ?? "/", "http://canned").pathname);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body === undefined ? "" : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Calls every reader with each leanest answer of its operation (the other operations answering their first); returns what the client threw. */
export async function readLeanest<C>(
  client: C,
  readers: Record<string, (client: C) => Promise<unknown>>,
  leanest: (operationKey: string) => unknown[],
  operationOf: (method: string, path: string) => string | undefined,
  setAnswer: (answer: (method: string, path: string) => { status: number; body?: unknown }) => void,
): Promise<string[]> {
  const refused: string[] = [];
  for (const [key, read] of Object.entries(readers)) {
    const variants = leanest(key);
    for (const [i, variant] of variants.entries()) {
      setAnswer((method, path) => {
        const op = operationOf(method, path);
        if (!op) return { status: 404, body: {} };
        return { status: op.startsWith("POST") && leanest(op).length === 0 ? 201 : 200, body: op === key ? variant : leanest(op)[0] };
      });
      await read(client).catch((err: unknown) => refused.push(`${key} (leanest answer ${i + 1} of ${variants.length}: ${JSON.stringify(variant).slice(0, 160)}): ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  return refused;
}
