#!/usr/bin/env bash
# format_check.sh — `make format-check`: is every backend/**/*.[ch] and *.cpp as the checked-in
# .clang-format writes it? Prints each file that is not, with the diff that `make format`
# would apply, and exits 1; exits 0 (and prints one line) when all are formatted.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format-check: clang-format is missing (scripts/bootstrap.sh)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bad=()
n=0
while IFS= read -r f; do
  n=$((n + 1))
  if ! clang-format --style=file "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" - >"$tmp"; then
    bad+=("$f")
    cat "$tmp"
  fi
done < <(find backend \( -name '*.[ch]' -o -name '*.cpp' \) -type f | sort)
if [ ${#bad[@]} -gt 0 ]; then
  echo
  echo "format-check: ${#bad[@]} of $n files are not formatted (run 'make format'):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format-check: all $n files formatted"
