#!/bin/sh
# Rebuilds tests/data/schema-v4.db: a database exactly as kcensus schema v4
# wrote it (schema-v4.sql, frozen: the v3 fixture after the v4 upgrade, so
# result_rows with codes, texts, versions, inline probe 0, an IPv6 row and
# an imported bucket), for the v4 -> v5 upgrade test. Usage:
# make-schema-v4.sh [OUT.db]
set -eu
here=$(dirname "$0")
out=${1:-$here/schema-v4.db}
rm -f "$out"
{
  cat "$here/schema-v4.sql"
  echo "PRAGMA user_version = 4;"
  echo "PRAGMA application_id = 1801676142;"
  echo "PRAGMA journal_mode = WAL;"
} | sqlite3 "$out" >/dev/null
