import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, normalize } from "node:path";
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
  const tar = await readTarball(file);
  return tar && new Blob([tar]);
}

/** The image's tarball, unzipped (throws on a cut-short file), or undefined when there is no image. */
async function readTarball(file: string): Promise<Buffer | undefined> {
  if (!existsSync(file)) return undefined;
  const { gunzipSync } = await import("node:zlib");
  return gunzipSync(await readFile(file));
}

/**
 * Unpacks the image for a data directory on disk into `dataDir` with Node's own file writes, so PGlite then opens
 * it as a directory it made (PGlite's `loadDataDir` writes each file through its WebAssembly file system: 1.6–2.0 s
 * for the 39 MB, where this takes a tenth of that). The files go to a temporary sibling first and are renamed
 * into place, so a start killed half-way leaves no half directory for the next start to take as its own. Throws on
 * a cut-short or unreadable image (the caller forgets it and starts anew). Returns false when there is no image.
 */
export async function unpackImage(file: string, dataDir: string): Promise<boolean> {
  const tar = await readTarball(file);
  if (!tar) return false;
  const tmp = `${dataDir}.unpacking-${process.pid}-${Date.now()}`;
  try {
    for (const entry of tarEntries(tar)) {
      const path = join(tmp, entry.path);
      if (entry.type === "dir") await mkdir(path, { recursive: true, mode: 0o700 });
      else {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFile(path, entry.data, { mode: 0o600 });
      }
    }
    await rm(dataDir, { recursive: true, force: true });
    await rename(tmp, dataDir);
    return true;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface TarEntry {
  path: string;
  type: "file" | "dir";
  data: Buffer;
}

/**
 * The entries of a POSIX ustar archive (what PGlite's `dumpDataDir` writes): 512-byte headers, each file's bytes
 * padded to 512, two zero blocks at the end. Names are relative paths inside the archive (a leading `/` is
 * dropped); anything else (links, long-name extensions, a path leaving the archive) is refused.
 */
export function* tarEntries(tar: Buffer): Generator<TarEntry> {
  const text = (from: number, length: number) => {
    const field = tar.subarray(from, from + length);
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? length : end).toString("utf8");
  };
  let at = 0;
  while (at + 512 <= tar.length) {
    if (tar.subarray(at, at + 512).every((b) => b === 0)) return;
    const name = text(at, 100);
    const prefix = text(at + 345, 155);
    const sizeField = text(at + 124, 12).trim();
    const size = Number.parseInt(sizeField || "0", 8);
    const flag = String.fromCharCode(tar[at + 156] ?? 0);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`bad size "${sizeField}" in the image's entry ${name}`);
    const full = (prefix ? `${prefix}/${name}` : name).replace(/^\/+/, "");
    const path = normalize(full).replace(/\/+$/, "");
    if (path === ".." || path.startsWith("../") || path.startsWith("/")) throw new Error(`the image's entry ${full} leaves the data directory`);
    const dataAt = at + 512;
    if (dataAt + size > tar.length) throw new Error(`the image is cut short in ${full}`);
    if (flag === "5") {
      if (path !== "." && path !== "") yield { path, type: "dir", data: Buffer.alloc(0) };
    } else if (flag === "0" || flag === "\0") {
      yield { path, type: "file", data: tar.subarray(dataAt, dataAt + size) };
    } else {
      throw new Error(`the image's entry ${full} is of a kind a data directory does not hold (tar type "${flag}")`);
    }
    at = dataAt + Math.ceil(size / 512) * 512;
  }
  throw new Error("the image is cut short (no end-of-archive blocks)");
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
