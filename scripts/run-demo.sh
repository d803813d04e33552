#!/usr/bin/env bash
# `make run`, after the build: loads the demo data (`apotheca demo`) into
# APOTHECA_DB (default ./apotheca.db), mints a merchant token, prints
# ready-to-paste requests, then becomes the server with the merchant sandbox
# (`apotheca serve --sandbox`): the demo merchant's payment API and webhook
# receiver live under /sandbox/ of the same server.
# Honours APOTHECA_LISTEN; sets APOTHECA_ADMIN_TOKEN=demo-admin-token when
# it is unset. B picks the build directory (default build).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${B:-build}/apotheca"
keys=demo
listen="${APOTHECA_LISTEN:-127.0.0.1:8080}"
export APOTHECA_DB="${APOTHECA_DB:-./apotheca.db}"
if [ -z "${APOTHECA_ADMIN_TOKEN:-}" ]; then
	export APOTHECA_ADMIN_TOKEN=demo-admin-token
	admin_hint="$APOTHECA_ADMIN_TOKEN"
else
	admin_hint='$APOTHECA_ADMIN_TOKEN'
fi

[ -x "$bin" ] || { echo "run-demo: $bin is missing; run make first" >&2; exit 1; }

# The demo's own summary, without the migration log lines on stderr.
if ! out="$("$bin" demo --dir "$keys" 2>&1)"; then
	echo "$out" >&2
	exit 1
fi
echo "$out" | grep -v '^{"ts"' || true
token="$("$bin" token --merchant demo --key "$keys/merchant.pem")"
base="http://$listen"

cat <<MSG

Merchant token (valid 15 minutes; mint another with
  $bin token --merchant demo --key $keys/merchant.pem):

TOKEN=$token

Inventory check (the seed request; 10 x 157 with coupon SEED66 is 10 x 53.38 + 99 = 632.8):

curl -s -X POST $base/api/v4/merchants/demo/inventory/check -H 'Content-Type: application/json' -H 'X-Access-Key: 1mg_client_access_key' -H "Authorization: Bearer \$TOKEN" -d '{"skus":{"248941":10},"pincode":"560103","coupon_code":"SEED66"}'

(560103 has ETA data, so "eta" is filled in; a pincode without an entry,
such as 400001, answers "eta": null exactly as the seed page shows.)

Admin API (token $admin_hint):

curl -s $base/admin/v1/skus/248941 -H "Authorization: Bearer $admin_hint"

Webhooks the demo merchant received: $base/sandbox/webhooks (JSON: /sandbox/webhooks.json)

The README's walk-throughs (pharmacy COD and ONLINE orders, refunds, track,
webhooks, logistics, admin moves) work as pasted from another shell.

Serving on $base with database $APOTHECA_DB (Ctrl-C stops).
MSG

exec "$bin" serve --sandbox
