import type { z } from "zod";
import { ConfigError } from "../errors.js";

/** Turns zod issues into one readable line per problem, naming the field, never echoing its value. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const where = i.path.length ? i.path.map(String).join(".") : "(value)";
    return `${where}: ${i.message}`;
  });
}

/** Parses `value` with `schema`, or throws a ConfigError listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, hint?: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = describeIssues(r.error.issues);
  throw new ConfigError(`Invalid ${what}:\n  - ${lines.join("\n  - ")}`, hint);
}
