# Sourced by bin/run-local and .ci/run: makes JAVA_HOME point at a JDK >= 21.
# Keeps a JAVA_HOME (or the java on PATH) that is new enough; else takes the newest JDK under /usr/lib/jvm.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
select_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" \
      $(ls -d /usr/lib/jvm/*/bin/java /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java 2>/dev/null | sort -rV); do
    [ -x "$candidate" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      JAVA_HOME=$(cd "$(dirname "$candidate")/.." && pwd -P)
      export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "llm-dispatch needs a JDK 21 or newer: none found (set JAVA_HOME)" >&2
  return 1
}
select_jdk
