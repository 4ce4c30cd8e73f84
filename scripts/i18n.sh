#!/usr/bin/env bash
# Translation catalogue upkeep. Source strings are Vietnamese; English lives in
# lhpn/translations/en/LC_MESSAGES/messages.po (the .mo files are built, never committed).
#
#   bash scripts/i18n.sh extract   # refresh messages.pot and merge new strings into the .po
#   bash scripts/i18n.sh compile   # build the .mo files; fails on catalogue errors
set -euo pipefail

cd "$(dirname "$0")/.."

TRANSLATIONS=lhpn/translations
POT=$TRANSLATIONS/messages.pot
LOCALES=(en)

if [[ -n "${PYBABEL:-}" ]]; then
  pybabel=$PYBABEL
elif [[ -x .venv/bin/pybabel ]]; then
  pybabel=.venv/bin/pybabel
else
  pybabel=$(command -v pybabel) || { echo "pybabel not found (pip install flask-babel)" >&2; exit 1; }
fi

extract() {
  # File-only locations and sorted output keep diffs small when code moves around.
  "$pybabel" -q extract -F babel.cfg --add-location=file --sort-output \
    --project=LHPN --copyright-holder="Hội LHPN Việt Nam" -o "$POT" .
  for locale in "${LOCALES[@]}"; do
    if [[ -f $TRANSLATIONS/$locale/LC_MESSAGES/messages.po ]]; then
      # No fuzzy matching: a guessed translation of a near-identical string is usually wrong.
      "$pybabel" -q update -i "$POT" -d "$TRANSLATIONS" -l "$locale" \
        --no-fuzzy-matching --ignore-obsolete
    else
      "$pybabel" -q init -i "$POT" -d "$TRANSLATIONS" -l "$locale"
    fi
  done
  echo "Untranslated entries:"
  untranslated || true
}

# Lists the msgids that still need an English msgstr (empty or fuzzy); exit status 1 if any.
untranslated() {
  local python=${PYTHON:-.venv/bin/python}
  [[ -x $python ]] || python=python3
  "$python" - "$TRANSLATIONS" "${LOCALES[@]}" <<'PY'
import sys
from pathlib import Path

from babel.messages.pofile import read_po

root, locales = Path(sys.argv[1]), sys.argv[2:]
missing = 0
for locale in locales:
    with open(root / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id and (not message.string or message.fuzzy):
            missing += 1
            print(f"  [{locale}] {message.id!r}")
print(f"  {missing} to translate" if missing else "  none")
sys.exit(1 if missing else 0)
PY
}

compile() {
  # pybabel exits non-zero when a catalogue has errors (e.g. mismatched placeholders).
  "$pybabel" compile -d "$TRANSLATIONS" --statistics
  for locale in "${LOCALES[@]}"; do
    [[ -f $TRANSLATIONS/$locale/LC_MESSAGES/messages.mo ]] || {
      echo "$locale: no .mo written (catalogue marked fuzzy?)" >&2
      exit 1
    }
  done
}

case "${1:-}" in
  extract) extract ;;
  compile) compile ;;
  check) untranslated ;;
  *) echo "usage: $0 {extract|compile|check}" >&2; exit 2 ;;
esac
