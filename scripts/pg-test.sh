#!/usr/bin/env bash
# Placeholder until the PostgreSQL backend lands: refuses to start.
echo "postgres test cluster not available" >&2
exit 1
