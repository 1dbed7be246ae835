#!/usr/bin/env bash
# Build step (app/pom.xml, prepare-package): turns the AsciiDoc pages picocli-codegen wrote from the CLI's annotations
# into man pages with asciidoctor (Debian's package; scripts/setup.sh installs it).
# Usage: man-pages.sh ADOC_DIR MAN1_DIR VERSION
set -euo pipefail
adoc=$1 man1=$2 version=$3
if ! command -v asciidoctor >/dev/null 2>&1; then
  echo "man-pages: asciidoctor is not installed (scripts/setup.sh installs it): no man pages in $man1" >&2
  exit 0
fi
rm -rf "$man1"
mkdir -p "$man1"
asciidoctor -b manpage -a mansource="pgha $version" -a manmanual="pgha Manual" -D "$man1" "$adoc"/*.adoc
echo "man-pages: $(find "$man1" -name '*.1' | wc -l) pages in $man1 (man -l $man1/pgha.1)"
