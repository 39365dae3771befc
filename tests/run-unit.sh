#!/bin/sh
# Runs every cmocka unit test binary; prints one summary line.
set -u
passed=0; failed=0
for t in "$@"; do
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]
