#!/bin/sh
# Build csdesk.app on macOS from packaging/pyinstaller/csdesk.spec (its BUNDLE step, with the
# Info.plist keys set there), check it, and optionally sign it and wrap it in a .dmg.
#
#   packaging/macos/build-app.sh                 # dist/pyinstaller/csdesk.app, self-tested
#   CODESIGN_IDENTITY="Developer ID Application: …" packaging/macos/build-app.sh --dmg
#
# Not run on this project's Linux machines: see packaging/README.md for what is verified.
set -eu

cd "$(dirname "$0")/../.."
if [ "$(uname -s)" != Darwin ]; then
    echo "build-app.sh: builds a macOS .app and must run on macOS" >&2
    exit 2
fi

PYTHON=${PYTHON:-.venv/bin/python}
DIST=${DIST:-dist/pyinstaller}
WORK=${WORK:-build/pyinstaller}
APP="$DIST/csdesk.app"
MAKE_DMG=no
[ "${1:-}" = "--dmg" ] && MAKE_DMG=yes

"$PYTHON" -m pip install -q -e '.[package]'
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
    packaging/pyinstaller/csdesk.spec

for key in CFBundleIdentifier CFBundleShortVersionString NSHighResolutionCapable \
    LSMinimumSystemVersion; do
    /usr/libexec/PlistBuddy -c "Print :$key" "$APP/Contents/Info.plist" >/dev/null || {
        echo "build-app.sh: Info.plist lacks $key" >&2
        exit 1
    }
done

# The bundle's own check: embedded server, sign-in, inbox (offscreen: no window needed).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
QT_QPA_PLATFORM=offscreen CSDESK_DATA_DIR="$tmp/data" CSDESK_CONFIG_DIR="$tmp/config" \
    "$APP/Contents/MacOS/csdesk" --self-test

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    # Hardened runtime is required for notarisation; then: xcrun notarytool submit … --wait
    # and xcrun stapler staple "$APP".
    codesign --force --deep --options runtime --timestamp \
        --sign "$CODESIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

if [ "$MAKE_DMG" = yes ]; then
    version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
    hdiutil create -volname csdesk -srcfolder "$APP" -ov -format UDZO \
        "$DIST/csdesk-$version.dmg"
fi
echo "build-app.sh: $APP is ready"
