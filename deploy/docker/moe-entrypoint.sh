#!/bin/sh
# Entry point of the moe-serving image: "serve OPTIONS" runs the router, "worker OPTIONS" an expert worker.
# Extra JVM options come from $JAVA_OPTS.
set -eu

command="${1:-}"
case "$command" in
  serve) main=dev.moeserve.router.cli.ServeCommand ;;
  worker) main=dev.moeserve.pool.cli.WorkerCommand ;;
  *)
    echo "usage: serve OPTIONS | worker OPTIONS (add --help for the options), got '$command'" >&2
    exit 2
    ;;
esac
shift

# JAVA_OPTS is split on spaces on purpose, because it contains several JVM flags.
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp '/opt/moe/lib/*' "$main" "$@"
