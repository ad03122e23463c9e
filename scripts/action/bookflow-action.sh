#!/usr/bin/env bash
# The steps of the bookflow GitHub Action (action.yml), one subcommand each:
#
#   bookflow-action.sh check     validate the inputs (the action's first step)
#   bookflow-action.sh install   npm ci in the action's own checkout (builds bookflow)
#   bookflow-action.sh run       run the command, write the reports, the summary and the outputs
#
# Inputs arrive as BOOKFLOW_ACTION_* environment variables (action.yml maps
# them), so no input is ever spliced into shell text. Written for bash 3.2 and
# later (macOS runners): no mapfile, and empty arrays expanded with ${a[@]+…}.
# docs/github-action.md describes the behaviour; test/action/action.test.ts runs it.
set -euo pipefail

ACTION_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BOOKFLOW_BIN="$ACTION_ROOT/bin/bookflow.js"
# The step's own stdout, for annotations written from inside a redirected call.
exec 3>&1

# An annotation and a plain line on stderr, then exit 2 (bad usage, as bookflow's own).
usage_error() {
  local message="$1"
  printf '::error title=bookflow action::%s\n' "$message" >&3
  printf 'bookflow action: %s\n' "$message" >&2
  exit 2
}

# The command input as the words bookflow takes; refuses anything else.
command_words() {
  case "$1" in
    verify) printf '%s\n' verify ;;
    release) printf '%s\n' release ;;
    "scenarios run") printf '%s\n' scenarios run ;;
    *) usage_error "input \"command\" is \"$1\": the action runs verify, scenarios run or release (set command: verify, command: scenarios run or command: release)." ;;
  esac
}

# The args input split into words as a shell would (quotes group words,
# backslashes escape), without expanding anything: xargs does the splitting.
# Prints one word a line; fails on an unmatched quote.
split_args() {
  local args="$1"
  case "$args" in
    *[![:space:]]*) ;;
    *) return 0 ;;
  esac
  if ! printf '%s' "$args" | xargs -n 1 printf '%s\n' 2>/dev/null; then
    usage_error "input \"args\" cannot be split into words (an unmatched quote?): $args"
  fi
}

check_fail_on() {
  case "$1" in
    failures | usage | never) ;;
    *) usage_error "input \"fail-on\" is \"$1\": use failures (the step fails when bookflow exits 1 or 2), usage (only on exit 2) or never." ;;
  esac
}

step_check() {
  command_words "${BOOKFLOW_ACTION_COMMAND-}" >/dev/null
  check_fail_on "${BOOKFLOW_ACTION_FAIL_ON-failures}"
  split_args "${BOOKFLOW_ACTION_ARGS-}" >/dev/null
  [ -n "${BOOKFLOW_ACTION_REPORT_DIR-}" ] || usage_error "input \"report-dir\" is empty: name a directory for the reports (default bookflow-reports)."
  local dir="${BOOKFLOW_ACTION_WORKING_DIRECTORY:-.}"
  [ -d "$dir" ] || usage_error "input \"working-directory\" is \"$dir\", which is not a directory (relative to $(pwd))."
  case "$BOOKFLOW_ACTION_COMMAND" in
    release)
      case " $(split_args "${BOOKFLOW_ACTION_ARGS-}" | tr '\n' ' ') " in
        *" --yes "* | *" --plan "* | *" --dry-run "*) ;;
        *) printf '::warning title=bookflow action::%s\n' "release without --yes (or --plan, --dry-run) in args: without a terminal bookflow prints the plan and exits 2." ;;
      esac
      ;;
  esac
  printf 'bookflow action: inputs accepted (command: %s)\n' "$BOOKFLOW_ACTION_COMMAND"
}

step_install() {
  cd "$ACTION_ROOT"
  npm ci --no-audit --no-fund
  node bin/bookflow.js --version
}

# Appends name=value to $GITHUB_OUTPUT (when set) and echoes it to the log.
set_output() {
  printf '%s=%s\n' "$1" "$2"
  if [ -n "${GITHUB_OUTPUT-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}

summary() {
  if [ -n "${GITHUB_STEP_SUMMARY-}" ]; then printf '%s\n' "$1" >>"$GITHUB_STEP_SUMMARY"; fi
}

step_run() {
  local command_input="${BOOKFLOW_ACTION_COMMAND-}" fail_on="${BOOKFLOW_ACTION_FAIL_ON:-failures}"
  local words=() extra=() global=() options=() word
  # Validated here in this shell first: an exit inside <(…) would not stop the step.
  command_words "$command_input" >/dev/null
  check_fail_on "$fail_on"
  split_args "${BOOKFLOW_ACTION_ARGS-}" >/dev/null
  while IFS= read -r word; do words+=("$word"); done < <(command_words "$command_input")
  while IFS= read -r word; do extra+=("$word"); done < <(split_args "${BOOKFLOW_ACTION_ARGS-}")
  if [ -n "${BOOKFLOW_ACTION_ENV_FILE-}" ]; then global+=(--env-file "$BOOKFLOW_ACTION_ENV_FILE"); fi
  if [ -n "${BOOKFLOW_ACTION_TARGET-}" ]; then options+=(--target "$BOOKFLOW_ACTION_TARGET"); fi
  if [ -n "${BOOKFLOW_ACTION_CONFIG-}" ]; then options+=(--config "$BOOKFLOW_ACTION_CONFIG"); fi

  [ -n "${BOOKFLOW_ACTION_REPORT_DIR-}" ] || usage_error "input \"report-dir\" is empty: name a directory for the reports (default bookflow-reports)."
  mkdir -p "$BOOKFLOW_ACTION_REPORT_DIR"
  local dir
  dir="$(cd "$BOOKFLOW_ACTION_REPORT_DIR" && pwd)"
  local junit="" html="" json markdown="" rc=0

  if [ "$command_input" = release ]; then
    # release prints its result as JSON on stdout (--json); progress goes to stderr.
    json="$dir/release.json"
    rm -f "$json"
    node -- "$BOOKFLOW_BIN" ${global[@]+"${global[@]}"} release ${options[@]+"${options[@]}"} ${extra[@]+"${extra[@]}"} --json >"$json" || rc=$?
  else
    junit="$dir/bookflow.xml"
    html="$dir/bookflow.html"
    json="$dir/bookflow.json"
    markdown="$dir/bookflow.md"
    # A report left by an earlier run in this directory must not pass for this run's.
    rm -f "$junit" "$html" "$json" "$markdown"
    # github goes to stdout (the annotations); markdown is written to its file and,
    # with $GITHUB_STEP_SUMMARY set, appended to the step summary by bookflow itself.
    node -- "$BOOKFLOW_BIN" ${global[@]+"${global[@]}"} "${words[@]}" ${options[@]+"${options[@]}"} ${extra[@]+"${extra[@]}"} \
      --format "junit=$junit" --format "html=$html" --format "json=$json" --format "markdown=$markdown" --format github || rc=$?
  fi

  local result failed=""
  case "$rc" in
    0) result=passed ;;
    1) result=failed ;;
    *) result=error ;;
  esac
  if [ -s "$json" ]; then failed="$(node "$ACTION_ROOT/scripts/action/failed-count.mjs" "$json")" || failed=""; fi
  if [ "$command_input" = release ] || [ ! -s "$json" ]; then
    local shown="bookflow $command_input: $result (exit $rc)"
    if [ -n "$failed" ]; then shown="$shown, $failed failed"; fi
    if [ ! -s "$json" ]; then shown="$shown; no report was written, see the step's log"; else shown="$shown; the whole result is in $(basename "$json")"; fi
    summary "### $shown"
  fi

  set_output result "$result"
  set_output failed "$failed"
  set_output exit-code "$rc"
  set_output report-path "$dir"
  set_output junit-path "$junit"
  set_output html-path "$html"
  set_output json-path "$json"

  case "$fail_on:$rc" in
    *:0) exit 0 ;;
    failures:*) exit "$rc" ;;
    usage:1 | never:*)
      printf '::warning title=bookflow action::%s\n' "bookflow $command_input $result (exit $rc); fail-on: $fail_on keeps the step green."
      exit 0
      ;;
    *) exit "$rc" ;;
  esac
}

case "${1-}" in
  check) step_check ;;
  install) step_install ;;
  run) step_run ;;
  *)
    printf 'usage: %s check|install|run\n' "$0" >&2
    exit 2
    ;;
esac
