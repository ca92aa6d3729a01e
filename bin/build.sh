# Sourced by bin/run-local, bin/llm-dispatch and bin/benchmark: selects a JDK, and builds a module's jar when it is
# missing or older than any source. Maven's own output (the JDK's warnings about Maven's libraries among it) is
# shown only when the build fails.
. "$(dirname "${BASH_SOURCE[0]}")/select-jdk.sh"
# build_if_stale JAR MODULE MESSAGE
build_if_stale() {
  local root jar=$1 module=$2 message=$3 log
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -f "$jar" ] && [ -z "$(find "$root" \( -path "$root/*/target" -o -path "$root/.git" -o -name node_modules \) -prune \
      -o \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$jar" -print -quit)" ]; then
    return 0
  fi
  echo "$message" >&2
  log=$(mktemp)
  if ! (cd "$root" && ./mvnw -B -q -DskipTests -pl "$module" -am package) >"$log" 2>&1; then
    cat "$log" >&2
    echo "llm-dispatch: the build failed (above)" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}
