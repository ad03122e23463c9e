// Loader hook for tests: appends every module URL resolved to the file named by
// BOOKFLOW_RECORD_IMPORTS, so a test can see what `bookflow --help` loads.
import { appendFileSync } from "node:fs";
import { register } from "node:module";

if (process.env.BOOKFLOW_RECORD_IMPORTS) {
  register(
    "data:text/javascript," +
      encodeURIComponent(`
        import { appendFileSync } from "node:fs";
        const file = ${JSON.stringify(process.env.BOOKFLOW_RECORD_IMPORTS)};
        export async function resolve(specifier, context, next) {
          const r = await next(specifier, context);
          appendFileSync(file, r.url + "\\n");
          return r;
        }`),
  );
}
void appendFileSync;
