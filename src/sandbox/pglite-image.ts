import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { readMigrationsFolder } from "../db/migrations.js";
import { DEFAULT_SEED } from "../db/seed-data.js";

/**
 * The sandbox's database image: a PGlite data directory with every migration
 * applied and the seed data in it, as a gzipped tarball (PGlite's own
 * `dumpDataDir` / `loadDataDir`). PGlite's first initialisation of a new data
 * directory (initdb in WebAssembly) is most of a first sandbox start; the image
 * is made once, on the first start that needs it, and every later start in a
 * new directory unpacks it instead.
 *
 * The image's name is a key of what is in it: PGlite's version, each migration's
 * name and checksum, and the seed data. A new migration, another seed or another
 * PGlite makes a new key, so a stale image is never loaded (it is simply not
 * found, and the next start makes the new one). Images live in the user's cache
 * directory: BOOKFLOW_CACHE_DIR, else $XDG_CACHE_HOME/bookflow, else ~/.cache/bookflow.
 */

const FORMAT = 1;

/** Where images are kept. */
export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BOOKFLOW_CACHE_DIR) return env.BOOKFLOW_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "bookflow");
  return join(homedir(), ".cache", "bookflow");
}

/** The key of the image the current migrations, seed and PGlite make. */
export async function imageKey(): Promise<string> {
  const migrations = await readMigrationsFolder();
  const h = createHash("sha256");
  h.update(JSON.stringify({ format: FORMAT, pglite: await pgliteVersion(), migrations: migrations.map((m) => [m.name, m.checksum]), seed: DEFAULT_SEED }));
  return h.digest("hex").slice(0, 20);
}

/** The installed PGlite's version, read from its package.json (found from its entry point: the package exports no ./package.json). */
async function pgliteVersion(): Promise<string> {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve("@electric-sql/pglite"));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(await readFile(manifest, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "@electric-sql/pglite" && pkg.version) return pkg.version;
  }
  throw new Error("cannot find @electric-sql/pglite's package.json");
}

/** The image file for a key. */
export function imageFile(cacheDir: string, key: string): string {
  return join(cacheDir, `sandbox-pglite-${key}.tar.gz`);
}

/** A data directory with nothing in it yet (absent, or empty): the only kind an image is unpacked into. */
export async function isNewDataDir(dataDir: string): Promise<boolean> {
  if (dataDir.startsWith("memory://")) return true;
  if (!existsSync(dataDir)) return true;
  return (await readdir(dataDir)).length === 0;
}

/**
 * The image for `key` as the tarball PGlite unpacks, when one was made. It is unzipped here, not by PGlite: a
 * cut-short file then throws a clean error (gzip's CRC covers all of it), where PGlite's own unzip of such a
 * file fails outside any promise the caller can catch and ends the process.
 */
export async function readImage(file: string): Promise<Blob | undefined> {
  if (!existsSync(file)) return undefined;
  const { gunzipSync } = await import("node:zlib");
  return new Blob([gunzipSync(await readFile(file))]);
}

/**
 * Makes the image from a migrated and seeded database: a checkpoint (so the
 * files hold every committed change), then PGlite's tarball, written to a
 * temporary name and renamed, so a reader never sees half a file and two
 * sandboxes starting at once simply both write the same image.
 */
export async function writeImage(pglite: PGlite, file: string): Promise<void> {
  await pglite.exec("CHECKPOINT");
  const blob = await pglite.dumpDataDir("gzip");
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, Buffer.from(await blob.arrayBuffer()));
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Forgets an image that could not be loaded, so the next start makes a new one. */
export async function discardImage(file: string): Promise<void> {
  await rm(file, { force: true });
}
