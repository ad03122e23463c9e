/**
 * Renders a SendGrid dynamic template version the way SendGrid does: with
 * Handlebars and SendGrid's own helpers (equals, notEquals, and, or,
 * greaterThan, lessThan, insert, length, formatDate), from the
 * `dynamic_template_data` of a send. It also lists the variables the
 * template reads (from the Handlebars syntax tree), so a variable the sender
 * never provides is named rather than rendered as an empty string.
 *
 * Handlebars is imported only when a template is rendered.
 */
import type { HelperOptions } from "handlebars";

type HandlebarsModule = typeof import("handlebars");

/** The parts of a template version that are rendered (SendGrid's field names). */
export interface TemplateSources {
  subject?: string | null | undefined;
  html_content?: string | null | undefined;
  plain_content?: string | null | undefined;
}

export interface RenderedTemplate {
  subject: string | null;
  html: string | null;
  text: string | null;
  /** Variables the template reads that the data has no key for (the first path segment), sorted. */
  variablesMissing: string[];
  /** `<part>: <Handlebars error>` for each part that did not parse or render. */
  errors: string[];
}

/** Helpers built into Handlebars, and the ones SendGrid adds: calling one is not reading a variable. */
const HELPERS = new Set(["if", "unless", "each", "with", "lookup", "log", "blockHelperMissing", "helperMissing", "equals", "notEquals", "and", "or", "greaterThan", "lessThan", "insert", "length", "formatDate"]);
/** Blocks whose body reads from another context (an item, a sub-object). */
const CONTEXT_BLOCKS = new Set(["each", "with"]);

let loaded: Promise<HandlebarsModule> | undefined;
async function handlebars(): Promise<HandlebarsModule> {
  loaded ??= import("handlebars").then((m) => ((m as { default?: HandlebarsModule }).default ?? m) as HandlebarsModule);
  return loaded;
}

function sendGridInstance(hb: HandlebarsModule): HandlebarsModule {
  const h = hb.create();
  const block = (test: (...args: unknown[]) => boolean) =>
    function (this: unknown, ...args: unknown[]) {
      const options = args.pop() as HelperOptions;
      return test(...args) ? options.fn(this) : options.inverse(this);
    };
  h.registerHelper("equals", block((a, b) => a == b)); // SendGrid compares loosely ("1" equals 1)
  h.registerHelper("notEquals", block((a, b) => a != b));
  h.registerHelper("greaterThan", block((a, b) => Number(a) > Number(b)));
  h.registerHelper("lessThan", block((a, b) => Number(a) < Number(b)));
  h.registerHelper("and", block((...v) => v.every(Boolean)));
  h.registerHelper("or", block((...v) => v.some(Boolean)));
  h.registerHelper("length", (v: unknown) => (Array.isArray(v) || typeof v === "string" ? v.length : 0));
  h.registerHelper("insert", (v: unknown, fallback: unknown) => {
    if (v !== undefined && v !== null && v !== "") return v;
    return typeof fallback === "string" ? fallback.replace(/^default=/, "") : "";
  });
  h.registerHelper("formatDate", (v: unknown) => {
    const d = new Date(typeof v === "number" || typeof v === "string" ? v : NaN);
    return Number.isNaN(d.getTime()) ? "" : d.toISOString();
  });
  return h;
}

/** The root variables a template reads: `{{a}}`, `{{a.b}}` (a), `{{#if a}}`, `{{equals a "x"}}`, `{{@root.a}}`. */
export async function templateVariables(source: string): Promise<string[]> {
  const hb = await handlebars();
  return [...variablesOf(hb.parse(source))].sort();
}

function variablesOf(program: hbs.AST.Program): Set<string> {
  const found = new Set<string>();
  const path = (p: hbs.AST.Expression, depth: number) => {
    if (p.type !== "PathExpression") {
      if (p.type === "SubExpression") call(p as hbs.AST.SubExpression, depth);
      return;
    }
    const e = p as hbs.AST.PathExpression;
    if (e.data) {
      // @root.x reads the data's own x; @index, @key, @first … are Handlebars' own.
      if (e.parts[0] === "root" && e.parts[1]) found.add(e.parts[1]);
      return;
    }
    // Inside an {{#each}} / {{#with}} body a bare name is the item's: only ../ paths that climb back to the data count.
    if (e.depth < depth || !e.parts[0]) return;
    found.add(e.parts[0]);
  };
  const call = (node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression, depth: number) => {
    const params = node.params ?? [];
    const pairs = node.hash?.pairs ?? [];
    const head = node.path.type === "PathExpression" ? (node.path as hbs.AST.PathExpression) : undefined;
    const isHelper = !!head && (params.length > 0 || pairs.length > 0 || HELPERS.has(head.original));
    if (!isHelper) path(node.path, depth);
    for (const p of params) path(p, depth);
    for (const pair of pairs) path(pair.value, depth);
  };
  const walk = (body: hbs.AST.Statement[], depth: number) => {
    for (const s of body) {
      if (s.type === "MustacheStatement") call(s as hbs.AST.MustacheStatement, depth);
      else if (s.type === "BlockStatement") {
        const b = s as hbs.AST.BlockStatement;
        call(b, depth);
        const name = b.path.type === "PathExpression" ? (b.path as hbs.AST.PathExpression).original : "";
        const inner = CONTEXT_BLOCKS.has(name) || !HELPERS.has(name) ? depth + 1 : depth;
        if (b.program) walk(b.program.body, inner);
        if (b.inverse) walk(b.inverse.body, depth);
      }
    }
  };
  walk(program.body, 0);
  return found;
}

/** Renders each part of a version with `data`; a part that is missing renders as null. */
export async function renderTemplateVersion(version: TemplateSources, data: Record<string, unknown>): Promise<RenderedTemplate> {
  const hb = await handlebars();
  const h = sendGridInstance(hb);
  const errors: string[] = [];
  const missing = new Set<string>();
  const render = (part: keyof TemplateSources, escape: boolean): string | null => {
    const source = version[part];
    if (source === undefined || source === null) return null;
    try {
      for (const v of variablesOf(hb.parse(source))) if (!Object.hasOwn(data, v)) missing.add(v);
      return h.compile(source, { noEscape: !escape })(data);
    } catch (err) {
      errors.push(`${part}: ${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim()}`);
      return null;
    }
  };
  return {
    subject: render("subject", false),
    html: render("html_content", true),
    text: render("plain_content", false),
    variablesMissing: [...missing].sort(),
    errors,
  };
}
