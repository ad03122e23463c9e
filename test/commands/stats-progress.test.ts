import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLEAR_LINE } from "../../commands/support/progress.js";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/** `bookflow stats` is one SQL statement: on a terminal one "computing stats over …" line, cleared before the table. */

const TERMINAL_CONTROL = /[\r\x1b]/;

describe("bookflow stats: the progress line", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
  });
  afterAll(() => t?.drop());

  const onPty = (args: string) =>
    execa("script", ["-qec", `node -- ${BIN} stats --no-provider-stats ${args}`, "/dev/null"], { cwd: tempDir(), env: cleanEnv({ DATABASE_URL: t.url, CI: undefined }), extendEnv: false, reject: false, timeout: 60_000 });

  it("on a terminal: the line is drawn, then cleared before the table is printed", async () => {
    const r = await onPty("");
    const out = String(r.stdout);
    expect(r.exitCode, out).toBe(0);
    const drawn = out.indexOf(`${CLEAR_LINE}stats: computing over `);
    expect(drawn).toBeGreaterThanOrEqual(0);
    const cleared = out.indexOf(CLEAR_LINE, drawn + CLEAR_LINE.length);
    expect(cleared).toBeGreaterThan(drawn);
    // What follows the clearing is the report, with no progress text left in it.
    expect(out.slice(cleared + CLEAR_LINE.length)).not.toContain("computing over");
  });

  it("writes none of it with --json on a terminal, nor without a terminal", async () => {
    const json = await onPty("--json");
    expect(json.exitCode, String(json.stdout)).toBe(0);
    expect(String(json.stdout)).not.toContain("\x1b[2K");
    expect(String(json.stdout)).not.toContain("computing over");
    const piped = await runCli(["stats", "--no-provider-stats"], { env: { DATABASE_URL: t.url, CI: undefined } });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(TERMINAL_CONTROL);
    expect(piped.stderr).not.toContain("computing over");
  });
});
