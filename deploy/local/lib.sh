# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Shared by deploy/local/up and deploy/local/down. Not meant to be run on its own.

# The six services (服务) in start order, with their default ports. The console (管理控制台) comes
# first: it issues the tokens and the others fetch its public keys (JWKS).
XINFANG_SERVICES=(console intake mediation administrative-review supervision notification)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="$ROOT/deploy/local/run"

# Where PostgreSQL is, for psql. The services read the same XINFANG_DATABASE__* variables.
PG_HOST="${XINFANG_DATABASE__HOST:-127.0.0.1}"
PG_PORT="${XINFANG_DATABASE__PORT:-5432}"
PG_USER="${XINFANG_DATABASE__USERNAME:-postgres}"
# Exchange/queue name prefix (broker.prefix), empty by default.
BROKER_PREFIX="${XINFANG_BROKER__PREFIX:-}"

if [[ -t 1 ]]; then
    C_BOLD=$'\e[1m' C_RED=$'\e[31m' C_GREEN=$'\e[32m' C_YELLOW=$'\e[33m' C_RESET=$'\e[0m'
else
    C_BOLD='' C_RED='' C_GREEN='' C_YELLOW='' C_RESET=''
fi

info() { printf '%s==>%s %s\n' "$C_BOLD" "$C_RESET" "$*"; }
ok() { printf '%s  ok%s %s\n' "$C_GREEN" "$C_RESET" "$*"; }
warn() { printf '%swarning:%s %s\n' "$C_YELLOW" "$C_RESET" "$*" >&2; }
die() {
    printf '%serror:%s %s\n' "$C_RED" "$C_RESET" "$*" >&2
    exit 1
}

# Environment-variable stem of a service: administrative-review -> ADMINISTRATIVE_REVIEW.
env_stem() {
    local s="${1//-/_}"
    printf '%s' "${s^^}"
}

# Default port of a service (the one in its configuration/base.yaml).
default_port() {
    case "$1" in
    intake) echo 8081 ;;
    mediation) echo 8082 ;;
    administrative-review) echo 8083 ;;
    supervision) echo 8084 ;;
    notification) echo 8085 ;;
    console) echo 8086 ;;
    *) die "unknown service: $1" ;;
    esac
}

# Port of a service: INTAKE_PORT, MEDIATION_PORT, ADMINISTRATIVE_REVIEW_PORT, ... or the default.
service_port() {
    local var
    var="$(env_stem "$1")_PORT"
    local port="${!var:-$(default_port "$1")}"
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        die "$var=$port is not a port number"
    fi
    echo "$port"
}

# Database of a service: xinfang_<name with - replaced by _>.
service_db() {
    echo "xinfang_${1//-/_}"
}

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# Prints the pid recorded for a service when that process is alive and is the service's binary;
# returns 1 otherwise (no pid file, dead process, or a recycled pid).
live_pid() {
    local file pid exe
    file="$(pid_file "$1")"
    [[ -f "$file" ]] || return 1
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Make sure the pid was not recycled by an unrelated process.
    if [[ -r "/proc/$pid/cmdline" ]]; then
        exe="$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)"
        [[ "$(basename -- "$exe")" == "$1" ]] || return 1
    fi
    echo "$pid"
}

# Run a command as root: directly when we are root, through sudo otherwise. RabbitMQ's CLI tools
# need this too: they read the Erlang cookie, which only root and the rabbitmq user can.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root, and sudo is not installed"
    fi
}

# psql against the maintenance database, quiet and unaligned; extra arguments go to psql.
pg() {
    PGPASSWORD="${XINFANG_DATABASE__PASSWORD:-${PGPASSWORD:-}}" PGCONNECT_TIMEOUT=5 \
        psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qAtX "$@"
}

# Is something listening on 127.0.0.1:<port>?
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Run a command as the postgres OS user (peer authentication over the Unix socket).
as_postgres() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && sudo -u postgres "$@")
    fi
}

# Is this host name the local machine?
is_local_host() {
    case "$1" in
    127.* | localhost | ::1 | "") return 0 ;;
    *) return 1 ;;
    esac
}

# Wait until a command succeeds: wait_until <seconds> <command...>. Returns 1 on timeout.
wait_until() {
    local timeout="$1" deadline
    shift
    deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

# The last lines of a service's log, without the frames of a backtrace (they would hide the error).
log_tail() {
    local file
    file="$(log_file "$1")"
    [[ -f "$file" ]] || return 0
    grep -Ev '^[[:space:]]+([0-9]+: |at )' "$file" | tail -n "${2:-15}" | sed 's/^/    | /'
}
