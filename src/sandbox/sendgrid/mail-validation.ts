/**
 * Validates a `POST /v3/mail/send` body the way SendGrid does, returning its
 * error entries (`{ message, field, help }`), all of them at once as SendGrid
 * does. Pure: the emulator decides what to do with the result.
 */

export interface SendGridErrorEntry {
  message: string;
  field: string | null;
  help: string | null;
}

export interface EmailAddress {
  email: string;
  name?: string;
}

export interface Personalization {
  to: EmailAddress[];
  cc: EmailAddress[];
  bcc: EmailAddress[];
  subject?: string;
  dynamicTemplateData?: Record<string, unknown>;
  customArgs: Record<string, string>;
  headers: Record<string, string>;
  sendAt?: number;
}

/** A mail/send request that passed validation, in camelCase. */
export interface ValidMail {
  personalizations: Personalization[];
  from: EmailAddress;
  replyTo?: EmailAddress;
  subject?: string;
  content: { type: string; value: string }[];
  templateId?: string;
  customArgs: Record<string, string>;
  categories: string[];
  headers: Record<string, string>;
  sendAt?: number;
  sandboxMode: boolean;
}

const HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html";
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function isEmail(value: unknown): value is string {
  return typeof value === "string" && value.length <= 320 && EMAIL.test(value);
}

export function validateMail(body: unknown): { ok: true; mail: ValidMail } | { ok: false; errors: SendGridErrorEntry[] } {
  if (!isObj(body)) return { ok: false, errors: [{ message: "Bad Request", field: null, help: null }] };
  const errors: SendGridErrorEntry[] = [];
  const err = (message: string, field: string | null, anchor: string) => errors.push({ message, field, help: `${HELP}#${anchor}` });

  const address = (value: unknown, field: string, anchor: string): EmailAddress | undefined => {
    if (!isObj(value) || !isEmail(value.email)) {
      err("Does not contain a valid address.", `${field}.email`, anchor);
      return undefined;
    }
    return { email: value.email, ...(typeof value.name === "string" ? { name: value.name } : {}) };
  };

  const stringMap = (value: unknown, field: string, anchor: string): Record<string, string> => {
    if (value === undefined) return {};
    if (!isObj(value)) {
      err(`Invalid type. Expected: object, given: ${Array.isArray(value) ? "array" : typeof value}.`, field, anchor);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "string") err(`Invalid type. Expected: string, given: ${typeof v}.`, `${field}.${k}`, anchor);
      else out[k] = v;
    }
    return out;
  };

  // ---- template and top-level fields first (they decide what else is required)
  const templateId = body.template_id;
  if (templateId !== undefined && (typeof templateId !== "string" || templateId === "")) err("The template_id must be a string.", "template_id", "message.template_id");
  const hasTemplate = typeof templateId === "string" && templateId !== "";

  // ---- personalizations
  const personalizations: Personalization[] = [];
  const raw = body.personalizations;
  if (!Array.isArray(raw) || raw.length === 0) {
    err("The personalizations field is required and must have at least one personalization.", "personalizations", "message.personalizations");
  } else if (raw.length > 1000) {
    err("The personalizations field is limited to 1000 personalizations per API request.", "personalizations", "message.personalizations");
  } else {
    raw.forEach((p: unknown, i) => {
      const at = `personalizations.${i}`;
      if (!isObj(p)) {
        err("The personalization must be an object.", at, "message.personalizations");
        return;
      }
      const list = (key: "to" | "cc" | "bcc"): EmailAddress[] => {
        const v = p[key];
        if (v === undefined && key !== "to") return [];
        if (!Array.isArray(v) || (key === "to" && v.length === 0)) {
          if (key === "to") err("The to array is required for all personalization objects, and must have at least one email object with a valid email address.", `${at}.to`, "message.personalizations.to");
          else err(`The ${key} field must be an array of email objects.`, `${at}.${key}`, `message.personalizations.${key}`);
          return [];
        }
        return v.map((a, j) => address(a, `${at}.${key}.${j}`, `message.personalizations.${key}`)).filter((a): a is EmailAddress => a !== undefined);
      };
      const to = list("to");
      const cc = list("cc");
      const bcc = list("bcc");
      if (to.length + cc.length + bcc.length > 1000) err("The total number of recipients in a personalization must be 1000 or less.", at, "message.recipient_limit");
      const seen = new Map<string, string>();
      for (const [key, addrs] of [["to", to], ["cc", cc], ["bcc", bcc]] as const) {
        for (const a of addrs) {
          const k = a.email.toLowerCase();
          if (seen.has(k)) {
            err(`Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${a.email}] in the ${at}.${key} field.`, at, "message.recipient_errors");
          }
          seen.set(k, key);
        }
      }
      if (p.subject !== undefined && (typeof p.subject !== "string" || p.subject === "")) err("The subject of a personalization must be a string at least one character in length.", `${at}.subject`, "message.subject");
      const dtd = p.dynamic_template_data;
      if (dtd !== undefined && !isObj(dtd)) err("The dynamic_template_data must be an object.", `${at}.dynamic_template_data`, "message.dynamic_template_data");
      const sendAt = p.send_at;
      if (sendAt !== undefined && !Number.isInteger(sendAt)) err("The send_at parameter must be a unix timestamp (an integer).", `${at}.send_at`, "message.send_at");
      personalizations.push({
        to,
        cc,
        bcc,
        ...(typeof p.subject === "string" && p.subject !== "" ? { subject: p.subject } : {}),
        ...(isObj(dtd) ? { dynamicTemplateData: dtd } : {}),
        customArgs: stringMap(p.custom_args, `${at}.custom_args`, "message.custom_args"),
        headers: stringMap(p.headers, `${at}.headers`, "message.headers"),
        ...(typeof sendAt === "number" && Number.isInteger(sendAt) ? { sendAt } : {}),
      });
    });
  }

  // ---- from, reply_to
  let from: EmailAddress | undefined;
  if (!isObj(body.from) || body.from.email === undefined) {
    err(
      'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}',
      "from.email",
      "message.from",
    );
  } else if (!isEmail(body.from.email)) {
    err("The from email does not contain a valid address.", "from.email", "message.from");
  } else {
    from = { email: body.from.email, ...(typeof body.from.name === "string" ? { name: body.from.name } : {}) };
  }
  const replyTo = body.reply_to === undefined ? undefined : address(body.reply_to, "reply_to", "message.reply_to");

  // ---- subject
  const subject = body.subject;
  if (subject !== undefined && typeof subject !== "string") err("The subject must be a string.", "subject", "message.subject");
  const everyHasSubject = personalizations.length > 0 && personalizations.every((p) => p.subject !== undefined);
  if (!hasTemplate && !everyHasSubject && (typeof subject !== "string" || subject === "")) {
    err(
      "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
      "subject",
      "message.subject",
    );
  }

  // ---- content
  const content: { type: string; value: string }[] = [];
  const rawContent = body.content;
  if (rawContent === undefined || (Array.isArray(rawContent) && rawContent.length === 0)) {
    if (!hasTemplate) {
      err(
        "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.",
        "content",
        "message.content",
      );
    }
  } else if (!Array.isArray(rawContent)) {
    err("The content parameter must be an array of content blocks.", "content", "message.content");
  } else {
    rawContent.forEach((c: unknown, i) => {
      if (!isObj(c) || typeof c.type !== "string" || c.type === "") {
        err("The content type must be a string at least one character in length.", `content.${i}.type`, "message.content.type");
        return;
      }
      if (typeof c.value !== "string" || c.value === "") {
        err("The content value must be a string at least one character in length.", `content.${i}.value`, "message.content.value");
        return;
      }
      content.push({ type: c.type, value: c.value });
    });
    const count = (type: string) => content.filter((c) => c.type === type).length;
    const plainAt = content.findIndex((c) => c.type === "text/plain");
    const htmlAt = content.findIndex((c) => c.type === "text/html");
    const htmlExpectedAt = plainAt === -1 ? 0 : 1;
    if (count("text/plain") > 1 || count("text/html") > 1 || plainAt > 0 || (htmlAt !== -1 && htmlAt !== htmlExpectedAt)) {
      err("If present, text/plain and text/html may only be provided once, and text/plain must be first, followed by text/html, followed by any other content.", "content", "message.content");
    }
  }

  // ---- the rest
  const categories = body.categories;
  if (categories !== undefined) {
    if (!Array.isArray(categories) || categories.some((c) => typeof c !== "string" || c.length > 255)) err("Categories must be an array of strings of at most 255 characters.", "categories", "message.categories");
    else if (categories.length > 10) err("Too many categories: at most 10 are allowed.", "categories", "message.categories");
  }
  const customArgs = stringMap(body.custom_args, "custom_args", "message.custom_args");
  const headers = stringMap(body.headers, "headers", "message.headers");
  const sendAt = body.send_at;
  if (sendAt !== undefined && !Number.isInteger(sendAt)) err("The send_at parameter must be a unix timestamp (an integer).", "send_at", "message.send_at");
  const mailSettings = isObj(body.mail_settings) ? body.mail_settings : undefined;
  const sandbox = mailSettings && isObj(mailSettings.sandbox_mode) ? mailSettings.sandbox_mode.enable === true : false;

  if (errors.length > 0 || !from) return { ok: false, errors };
  return {
    ok: true,
    mail: {
      personalizations,
      from,
      ...(replyTo ? { replyTo } : {}),
      ...(typeof subject === "string" && subject !== "" ? { subject } : {}),
      content,
      ...(hasTemplate ? { templateId: templateId } : {}),
      customArgs,
      categories: Array.isArray(categories) ? (categories as string[]) : [],
      headers,
      ...(typeof sendAt === "number" ? { sendAt } : {}),
      sandboxMode: sandbox,
    },
  };
}

/** Fills `{{name}}`, `{{{name}}}` and `{{a.b}}` from dynamic template data (Handlebars' plain substitutions only). */
export function renderTemplate(text: string, data: Record<string, unknown> | undefined): string {
  return text.replace(/\{\{\{?\s*([\w.]+)\s*\}?\}\}/g, (_m, path: string) => {
    let node: unknown = data;
    for (const part of path.split(".")) node = isObj(node) ? node[part] : undefined;
    return node === undefined || node === null ? "" : String(node);
  });
}
