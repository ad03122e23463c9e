import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/**
 * Headless Chromium driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: commands on fd 3, answers and events on fd 4,
 * each message JSON ended by a NUL byte). No npm dependency, no port.
 * Debian's `chromium` package (CI installs it: .ci/run).
 */

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-headless-shell", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium binary: $BOOKFLOW_CHROMIUM, else the first Debian/Chrome path that exists. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BOOKFLOW_CHROMIUM) return env.BOOKFLOW_CHROMIUM;
  return CANDIDATES.find((p) => existsSync(p));
}

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(err: Error): void;
  method: string;
}

export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

export interface Browser {
  /** A command to the browser (no session) or to a page (its session id). */
  send(method: string, params?: Record<string, unknown>, sessionId?: string): Promise<Record<string, unknown>>;
  /** Every event received so far, and those to come (listeners). */
  events: CdpEvent[];
  on(listener: (e: CdpEvent) => void): void;
  close(): Promise<void>;
}

export async function launchChromium(binary: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "bookflow-chromium-"));
  const child: ChildProcess = spawn(
    binary,
    ["--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio", `--user-data-dir=${profile}`, "about:blank"],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  const pending = new Map<number, Pending>();
  const events: CdpEvent[] = [];
  const listeners: ((e: CdpEvent) => void)[] = [];
  let nextId = 1;
  let buffer = "";
  let exited: Error | undefined;
  output.on("data", (d: Buffer) => {
    buffer += d.toString("utf8");
    let end: number;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const msg = JSON.parse(buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      buffer = buffer.slice(end + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) continue;
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      } else if (msg.method) {
        const e: CdpEvent = { method: msg.method, params: msg.params ?? {}, ...(msg.sessionId ? { sessionId: msg.sessionId } : {}) };
        events.push(e);
        for (const l of listeners) l(e);
      }
    }
  });
  const done = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = new Error(`chromium exited (${code ?? signal}): ${stderr}`);
      for (const p of pending.values()) p.reject(exited);
      pending.clear();
      resolve();
    }),
  );
  const browser: Browser = {
    send(method, params = {}, sessionId) {
      if (exited) return Promise.reject(exited);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, method });
        input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
      });
    },
    events,
    on: (l) => listeners.push(l),
    async close() {
      if (!exited) {
        await browser.send("Browser.close").catch(() => undefined);
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await done;
        clearTimeout(timer);
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
  await browser.send("Browser.getVersion");
  return browser;
}

export interface PageSession {
  sessionId: string;
  /** Evaluates an expression in the page and returns its value (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>;
  /** Presses a key (Tab, Enter, …) as a keyboard would. */
  press(key: "Tab" | "Enter" | " "): Promise<void>;
  /** Console errors, uncaught exceptions and log errors seen so far. */
  errors(): string[];
  /** URLs of every request the page made. */
  requests(): string[];
  screenshot(options?: { width?: number; height?: number; fullPage?: boolean }): Promise<Buffer>;
}

const KEYS = { Tab: { code: "Tab", keyCode: 9, text: undefined }, Enter: { code: "Enter", keyCode: 13, text: "\r" }, " ": { code: "Space", keyCode: 32, text: " " } } as const;

/** Opens `url` in a new page and waits for its load event. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<PageSession> {
  const { targetId } = (await browser.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
  const { sessionId } = (await browser.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
  const send = (method: string, params?: Record<string, unknown>) => browser.send(method, params, sessionId);
  const mine = () => browser.events.filter((e) => e.sessionId === sessionId);
  await Promise.all([send("Page.enable"), send("Runtime.enable"), send("Log.enable"), send("Network.enable")]);
  await send("Emulation.setDeviceMetricsOverride", { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false });
  await send("Emulation.setFocusEmulationEnabled", { enabled: true });
  const loaded = new Promise<void>((resolve) => browser.on((e) => e.sessionId === sessionId && e.method === "Page.loadEventFired" && resolve()));
  const nav = (await send("Page.navigate", { url })) as { errorText?: string };
  if (nav.errorText) throw new Error(`cannot open ${url}: ${nav.errorText}`);
  await loaded;
  return {
    sessionId,
    async evaluate<T>(expression: string): Promise<T> {
      const r = (await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })) as { result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } };
      if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    },
    async press(key) {
      const k = KEYS[key];
      const base = { key, code: k.code, windowsVirtualKeyCode: k.keyCode, nativeVirtualKeyCode: k.keyCode };
      await send("Input.dispatchKeyEvent", { type: "keyDown", ...base, ...(k.text ? { text: k.text } : {}) });
      await send("Input.dispatchKeyEvent", { type: "keyUp", ...base });
    },
    errors() {
      return mine().flatMap((e) => {
        if (e.method === "Runtime.exceptionThrown") return [`exception: ${JSON.stringify(e.params.exceptionDetails)}`];
        if (e.method === "Runtime.consoleAPICalled" && (e.params.type === "error" || e.params.type === "assert")) return [`console.${String(e.params.type)}: ${JSON.stringify(e.params.args)}`];
        if (e.method === "Log.entryAdded" && (e.params.entry as { level?: string }).level === "error") return [`log: ${JSON.stringify(e.params.entry)}`];
        return [];
      });
    },
    requests() {
      return mine()
        .filter((e) => e.method === "Network.requestWillBeSent")
        .map((e) => String((e.params.request as { url?: string }).url));
    },
    async screenshot(options = {}) {
      if (options.width || options.height) await send("Emulation.setDeviceMetricsOverride", { width: options.width ?? viewport.width, height: options.height ?? viewport.height, deviceScaleFactor: 1, mobile: false });
      const r = (await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: !!options.fullPage })) as { data: string };
      return Buffer.from(r.data, "base64");
    },
  };
}
