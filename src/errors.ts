/**
 * Typed errors, mapped to messages and exit codes only in bin/.
 * Expected failures (a failed check, an invalid webhook) are values, not errors.
 */
export class BookflowError extends Error {
  /** A stable code tests and scripts can match on. */
  readonly code: string;
  /** What the user can do about it. */
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

/** Bad configuration, environment, flags or input files: exit code 2. */
export class ConfigError extends BookflowError {
  override name = "ConfigError";
  constructor(message: string, hint?: string, code = "CONFIG_INVALID") {
    super(code, message, hint);
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends BookflowError {
  override name = "UsageError";
  constructor(message: string, hint?: string, code = "USAGE") {
    super(code, message, hint);
  }
}

/** A provider (Calendly, Stripe, SendGrid, Vercel, DNS) answered with an error or the wrong shape. */
export class ProviderError extends BookflowError {
  override name = "ProviderError";
  readonly provider: string;
  readonly status: number | undefined;
  readonly endpoint: string;
  constructor(provider: string, endpoint: string, message: string, status?: number, hint?: string) {
    super("PROVIDER_ERROR", `${provider} ${endpoint}${status ? ` answered ${status}` : ""}: ${message}`, hint);
    this.provider = provider;
    this.status = status;
    this.endpoint = endpoint;
  }
}

/** A confirmation was needed and refused, or impossible (no TTY and no --yes): exit code 2. */
export class UserAbort extends BookflowError {
  override name = "UserAbort";
  constructor(message: string, hint?: string) {
    super("ABORTED", message, hint);
  }
}

/** A bug in bookflow. */
export class InternalError extends BookflowError {
  override name = "InternalError";
  constructor(message: string) {
    super("INTERNAL", message, "This is a bug in bookflow; please report it with the command you ran.");
  }
}
