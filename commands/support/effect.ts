import type { Command } from "commander";

/**
 * What a command does to the world, declared where it is registered
 * (DESIGN.md): `read` changes nothing; `write` creates or updates (safe to
 * repeat); `destructive` disables, deletes, cancels, refunds or rolls back, and
 * so goes through the confirmation gate (commands/support/confirm.ts) with
 * `--yes` and `--dry-run`. test/commands/effects.test.ts keeps them honest.
 */
export type Effect = "read" | "write" | "destructive";

const effects = new WeakMap<Command, Effect>();

export function withEffect(cmd: Command, effect: Effect): Command {
  effects.set(cmd, effect);
  return cmd;
}

export function effectOf(cmd: Command): Effect | undefined {
  return effects.get(cmd);
}
