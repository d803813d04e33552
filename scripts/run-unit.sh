#!/usr/bin/env bash
# Runs the C unit test binaries and prints one closing count line.
set -u
pass=0 fail=0
for t in "$@"; do
	if out=$("$t" 2>&1); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $t"
	fi
	echo "$out" | tail -n 1 | sed "s|^|$(basename "$t"): |"
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
