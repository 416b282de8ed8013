#!/bin/sh
# Prints the interpreter for the project's virtualenv: Lambda's runtime, python3.13 (on the PATH, else
# pyenv's 3.13.0, with or without pyenv set up), else python3 with a one-line warning on stderr.
is_313() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; }

for root in "$(pyenv root 2>/dev/null)" "${PYENV_ROOT:-}" "${HOME:-/root}/.pyenv"; do
    [ -n "$root" ] || continue
    candidate="$root/versions/3.13.0/bin/python3.13"
    if is_313 "$candidate"; then echo "$candidate"; exit 0; fi
done
# a python3.13 on the PATH (a pyenv shim without the version installed fails is_313 and is skipped)
candidate="$(command -v python3.13 2>/dev/null)"
if is_313 "$candidate"; then echo "$candidate"; exit 0; fi
for root in "$(pyenv root 2>/dev/null)" "${PYENV_ROOT:-}" "${HOME:-/root}/.pyenv"; do
    for candidate in "$root"/versions/3.13.*/bin/python3.13; do
        if is_313 "$candidate"; then echo "$candidate"; exit 0; fi
    done
done
echo "warning: python3.13 (Lambda's runtime) not found; using $(command -v python3) ($(python3 -V 2>&1))" >&2
echo python3
