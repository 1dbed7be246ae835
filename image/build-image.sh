#!/usr/bin/env bash
# Builds pgha's container image (IMAGE, default localhost/pgha:dev) from this checkout with podman: the fat jar
# (built if missing), a jlink'ed Java runtime with just the modules pgha uses, and image/Dockerfile. Without a
# reachable registry it builds on the local base image from image/build-base.sh (BASE overrides it).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
image=${IMAGE:-localhost/pgha:dev}
jar="$root/app/target/pgha.jar"
if [ ! -f "$jar" ]; then
  (cd "$root" && mvn -B -ntp -q package -DskipTests -Dspotless.check.skip=true)
fi
base=${BASE:-}
if [ -z "$base" ]; then
  "$here/build-base.sh"
  base=localhost/debian:bookworm
fi
context="$here/target/container"
rm -rf "$context"
mkdir -p "$context"
# Modules found by jdeps (--print-module-deps) on the fat jar, plus what ZooKeeper's JMX and pgjdbc load reflectively.
jlink --add-modules java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,\
java.security.jgss,java.security.sasl,java.sql,jdk.jfr,jdk.management,jdk.net,jdk.unsupported,jdk.crypto.ec \
  --strip-debug --no-header-files --no-man-pages --compress=2 --generate-cds-archive --output "$context/runtime"
cp "$jar" "$context/pgha.jar"
"$context/runtime/bin/java" -jar "$jar" completion bash >"$context/pgha.bash"
cp "$here/Dockerfile" "$here/pgha-container" "$here/train-daemon-archive.sh" "$root/ops/jvm-daemon.args" \
  "$root/ops/jit-directives.json" "$context/"
podman build -q --format docker --build-arg BASE="$base" -t "$image" "$context" >/dev/null
echo "build-image: $image built on $base"
