#!/usr/bin/env bash
# Copy the precompiled GOV.UK Frontend files from node_modules into
# crates/web/static, so the Rust server can serve them without Node at run time.
#
#   crates/web/static/govuk-frontend.min.css  -> served at /static/govuk-frontend.min.css
#   crates/web/static/govuk-frontend.min.js   -> served at /static/govuk-frontend.min.js
#   crates/web/static/assets/                 -> served at /assets/ (the CSS refers to /assets/fonts/...)
#
# Usage: scripts/vendor-govuk.sh   (runs `npm ci` first if node_modules is missing)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

src="node_modules/govuk-frontend/dist/govuk"
dest="crates/web/static"

if [[ ! -f "$src/govuk-frontend.min.css" ]]; then
  echo "vendor-govuk: $src not found, running npm ci" >&2
  npm ci
fi
for f in govuk-frontend.min.css govuk-frontend.min.js assets/manifest.json; do
  if [[ ! -e "$src/$f" ]]; then
    echo "vendor-govuk: $src/$f is missing (unexpected govuk-frontend layout)" >&2
    exit 1
  fi
done

version="$(node -p 'require("./node_modules/govuk-frontend/package.json").version')"

mkdir -p "$dest"
cp "$src/govuk-frontend.min.css" "$dest/govuk-frontend.min.css"
cp "$src/govuk-frontend.min.js" "$dest/govuk-frontend.min.js"
# Replace assets/ wholesale so files dropped upstream do not linger.
rm -rf "$dest/assets"
cp -R "$src/assets" "$dest/assets"

cat > "$dest/VERSION.txt" <<TXT
govuk-frontend $version
Copied from $src by scripts/vendor-govuk.sh; do not edit these files by hand.
govuk-frontend.min.js is an ES module: load it with <script type="module">.
TXT

echo "vendor-govuk: copied govuk-frontend $version into $dest"
