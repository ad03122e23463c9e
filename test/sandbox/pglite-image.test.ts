import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.js";
import { migrationStatus } from "../../src/db/migrations.js";
import { DEFAULT_SEED } from "../../src/db/seed-data.js";
import { imageFile, imageKey, tarEntries } from "../../src/sandbox/pglite-image.js";
import { startSandbox, type SandboxWorld } from "../../src/sandbox/world.js";
import { tempDir } from "../support/cli.js";

/**
 * The sandbox's database image: the first start in a new directory makes it,
 * the next new directory is unpacked from it (migrated and seeded, nothing
 * applied again), a damaged image is replaced, and a directory in use is opened
 * as it is.
 */

const cache = tempDir("bookflow-image-cache-");
const started: SandboxWorld[] = [];

async function start(dataDir: string, imageCache: string | false = cache, stages?: string[]): Promise<SandboxWorld> {
  const world = await startSandbox({ dataDir, imageCache, ...(stages ? { stage: (name: string | null) => stages.push(name ?? "(up)") } : {}) });
  started.push(world);
  return world;
}

async function stopAll(): Promise<void> {
  for (const w of started.splice(0)) await w.stop();
}

async function databaseState(world: SandboxWorld): Promise<{ pending: string[]; applied: number; sessionTypes: number }> {
  const db = await openDatabase({ databaseUrl: world.databaseUrl, poolSize: 1 });
  try {
    const status = await migrationStatus(db);
    return { pending: status.pending, applied: status.applied.length, sessionTypes: await db.prisma.sessionType.count() };
  } finally {
    await db.close();
  }
}

afterAll(stopAll);

describe("the sandbox's database image", { timeout: 180_000 }, () => {
  const seededSessionTypes = DEFAULT_SEED.builders.flatMap((b) => b.sessionTypes).length;

  it("is made by the first start in a new directory, and the next new directory starts from it, migrated and seeded", async () => {
    const file = imageFile(cache, await imageKey());
    const firstStages: string[] = [];
    const first = await start(join(tempDir("bookflow-image-a-"), "pglite"), cache, firstStages);
    expect(first.databaseOrigin).toBe("new");
    // The steps a progress line names, in the order they happen.
    expect(firstStages).toEqual([
      "starting the database and the emulators",
      "creating the database",
      "migrating the database",
      "seeding the database",
      "saving the database image (the next new sandbox starts from it)",
      "starting the reference app",
      "registering the webhooks",
      "(up)",
    ]);
    expect(first.timings["image saved"]).toBeGreaterThanOrEqual(0);
    expect(existsSync(file)).toBe(true);
    await stopAll();

    const secondStages: string[] = [];
    const second = await start(join(tempDir("bookflow-image-b-"), "pglite"), cache, secondStages);
    expect(second.databaseOrigin).toBe("image");
    expect(secondStages.slice(0, 2)).toEqual(["starting the database and the emulators", "unpacking the database image"]);
    expect(secondStages.some((stage) => stage.startsWith("saving the database image"))).toBe(false);
    expect(second.timings["image saved"]).toBeUndefined();
    const state = await databaseState(second);
    expect(state).toEqual({ pending: [], applied: readdirSync("prisma/migrations", { withFileTypes: true }).filter((d) => d.isDirectory()).length, sessionTypes: seededSessionTypes });
    // What a booking writes stays in this directory: the image is the same file as before.
    const before = readFileSync(file);
    await second.calendly.book({ eventTypeUri: "https://api.calendly.com/event_types/ada-intro-call", email: "image.check@example.com", name: "Image Check", startTime: new Date(Date.now() + 3 * 86_400_000) });
    await second.calendly.idle();
    await stopAll();
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("a directory already in use is opened as it is, with what was written in it", async () => {
    const dir = join(tempDir("bookflow-image-c-"), "pglite");
    const a = await start(dir);
    expect(a.databaseOrigin).toBe("image");
    const db = await openDatabase({ databaseUrl: a.databaseUrl, poolSize: 1 });
    await db.prisma.user.create({ data: { email: "kept@example.com", name: "Kept" } });
    await db.close();
    await stopAll();
    const b = await start(dir);
    expect(b.databaseOrigin).toBe("reused");
    const again = await openDatabase({ databaseUrl: b.databaseUrl, poolSize: 1 });
    expect(await again.prisma.user.count({ where: { email: "kept@example.com" } })).toBe(1);
    await again.close();
    await stopAll();
  });

  it("a damaged image is set aside: the start makes the directory from scratch and writes a good image again", async () => {
    const file = imageFile(cache, await imageKey());
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    const lines: string[] = [];
    const world = await startSandbox({ dataDir: join(tempDir("bookflow-image-d-"), "pglite"), imageCache: cache, progress: (l) => lines.push(l) });
    started.push(world);
    expect(world.databaseOrigin).toBe("new");
    expect(lines.join("\n")).toMatch(/database image could not be loaded \(.+\); making a new one/);
    expect((await databaseState(world)).pending).toEqual([]);
    await stopAll();
    expect(readFileSync(file).length).toBeGreaterThan(good.length / 2);
    const next = await start(join(tempDir("bookflow-image-e-"), "pglite"));
    expect(next.databaseOrigin).toBe("image");
  });
});

describe("reading the image's tarball", () => {
  /** A ustar archive made by GNU tar (an implementation of its own) from a small tree, read back. */
  function gnuTar(files: Record<string, string>, args: string[] = ["--format=ustar"]): Buffer {
    const dir = tempDir("bookflow-tar-");
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return execFileSync("tar", ["-c", ...args, "-C", dir, "."]);
  }

  it("reads what GNU tar writes: directories, files and their bytes, names longer than 100 characters through the prefix", () => {
    const long = `${"d".repeat(60)}/${"e".repeat(60)}/file`;
    const entries = [...tarEntries(gnuTar({ PG_VERSION: "17\n", "base/1/1247": "x".repeat(1300), [long]: "", "global/pg_control": "c" }))];
    const files = Object.fromEntries(entries.filter((e) => e.type === "file").map((e) => [e.path, e.data.toString("utf8")]));
    expect(files).toEqual({ PG_VERSION: "17\n", "base/1/1247": "x".repeat(1300), [long]: "", "global/pg_control": "c" });
    expect(entries.filter((e) => e.type === "dir").map((e) => e.path).sort()).toEqual(["base", "base/1", "d".repeat(60), `${"d".repeat(60)}/${"e".repeat(60)}`, "global"].sort());
  });

  it("refuses an archive cut short, a link, and a path that leaves the directory", () => {
    // One 512-byte record per block: the archive ends with exactly its two zero blocks.
    const good = gnuTar({ "base/a": "y".repeat(2000) }, ["--format=ustar", "--blocking-factor=1"]);
    expect([...tarEntries(good)].filter((e) => e.type === "file").map((e) => e.data.length)).toEqual([2000]);
    expect(() => [...tarEntries(good.subarray(0, good.length - 1024 - 600))]).toThrow(/cut short in .*base\/a/);
    expect(() => [...tarEntries(good.subarray(0, good.length - 1024))]).toThrow(/no end-of-archive blocks/);

    const dir = tempDir("bookflow-tar-link-");
    writeFileSync(join(dir, "target"), "t");
    execFileSync("ln", ["-s", "target", join(dir, "link")]);
    expect(() => [...tarEntries(execFileSync("tar", ["-c", "--format=ustar", "-C", dir, "link"]))]).toThrow(/tar type "2"/);

    const escaping = gnuTar({ a: "z" }, ["--format=ustar", "--transform=s,^\\./a,../../etc/evil,"]);
    expect(() => [...tarEntries(escaping)]).toThrow(/leaves the data directory/);
  });
});
