#!/usr/bin/env bash
# The fresh-machine stage of CI: the README's two commands, exactly as the README writes them, in a
# throw-away Debian 12 root made with `debootstrap --variant=minbase`; then the executable built there
# is started in a second, untouched minbase root that has no Python at all (the jump host).
#
#   bash scripts/fresh_machine.sh        as root, from a checkout; tests its committed HEAD
#
# What the fresh root holds before the two commands: the minbase system, python3 and ca-certificates
# (what the README asks of a fresh machine), and this workplace's network settings (apt sources, its
# CA certificates and the variables and pip/npm settings that point at them). Nothing else: every
# other package is installed by build.py. Two slow one-time things are cached under
# $KUBEVISION_TEST_CACHE (default /var/cache/kubevision-test) and shared with the fresh root: the
# debootstrap base tarball and the control-plane binaries (scripts/build_control_plane.sh).
#
# Clean-up: everything runs in private mount and PID namespaces (unshare), so when the stage ends,
# however it ends, its processes are killed with the namespace and its mounts vanish; the roots are
# then deleted (rm --one-file-system, which never follows a mount).
set -euo pipefail

SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE_DIR="${KUBEVISION_TEST_CACHE:-/var/cache/kubevision-test}"
SUITE=bookworm
ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
BASE_TARBALL="$CACHE_DIR/debootstrap/$SUITE-minbase-$ARCH.tgz"
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ADMIN_PASSWORD="fresh-machine-admin-1"
RUN_START_TIMEOUT_S=1200
# The workplace's CA settings (its egress proxy re-signs HTTPS): passed into the fresh root, as a fresh
# machine of this workplace has them.
CA_VARIABLES=(SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE PIP_CERT NODE_EXTRA_CA_CERTS
              GIT_SSL_CAINFO)

log() { printf '[fresh_machine %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf '[fresh_machine] ERROR: %s\n' "$*" >&2; exit 1; }

# --- outside the namespaces ----------------------------------------------------------------------

make_base_tarball() {
    [[ -s "$BASE_TARBALL" ]] && return 0
    # shellcheck source=scripts/apt_sources.sh
    . "$REPO/scripts/apt_sources.sh"
    local mirror scratch
    mirror=$(binary_uris "$SUITE" | awk '{print $1}') || die "no apt entry for $SUITE to take a mirror from"
    scratch=$(mktemp -d /var/tmp/kubevision-debootstrap.XXXXXX)
    log "caching the $SUITE minbase packages in $BASE_TARBALL"
    mkdir -p "$(dirname "$BASE_TARBALL")"
    debootstrap --variant=minbase --make-tarball="$BASE_TARBALL.tmp" "$SUITE" "$scratch/root" "$mirror" \
        >"$scratch/debootstrap.log" 2>&1 || { tail -20 "$scratch/debootstrap.log"; die "debootstrap failed"; }
    mv -f "$BASE_TARBALL.tmp" "$BASE_TARBALL"
    rm -rf --one-file-system "$scratch"
}

outside() {
    [[ $EUID -eq 0 ]] || die "must run as root (debootstrap, chroot, mounts)."
    git -C "$REPO" rev-parse --verify -q HEAD >/dev/null || die "$REPO is not a git checkout with a commit"
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap on the host"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap \
            || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; }
    fi
    make_base_tarball
    WORK=$(mktemp -d /var/tmp/kubevision-fresh.XXXXXX)
    STAGE_PID=
    trap cleanup EXIT
    trap 'exit 143' TERM INT HUP
    local started=$SECONDS status=0
    # In the background, so a signal reaches the traps at once: the namespace is ended before the roots go.
    unshare --mount --pid --fork --kill-child --propagation private bash "$SELF" --inside "$WORK" &
    STAGE_PID=$!
    wait "$STAGE_PID" || status=$?
    STAGE_PID=
    (( status == 0 )) || die "the stage failed (exit $status) after $(( SECONDS - started )) s"
    log "stage passed in $(( SECONDS - started )) s"
}

# End the namespaces (SIGKILL to unshare: its child, PID 1 there, gets SIGKILL too, and with it every
# process of the stage; the private mounts go with the last of them), then delete the roots.
cleanup() {
    local status=$?
    if [[ -n "${STAGE_PID:-}" ]] && kill -0 "$STAGE_PID" 2>/dev/null; then
        log "stopping the stage"
        kill -KILL "$STAGE_PID" 2>/dev/null || true
        wait "$STAGE_PID" 2>/dev/null || true
        sleep 1
    fi
    log "removing $WORK"
    rm -rf --one-file-system "$WORK"
    exit "$status"
}

# --- inside private mount and PID namespaces (this shell is PID 1) --------------------------------

new_root() {
    local root="$1"
    log "unpacking a fresh $SUITE minbase root into $root"
    debootstrap --variant=minbase --unpack-tarball="$BASE_TARBALL" "$SUITE" "$root" >"$root.debootstrap.log" 2>&1 \
        || { tail -20 "$root.debootstrap.log"; die "debootstrap failed"; }
}

mount_system() {
    local root="$1"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}

# Set ROOT_COMMAND to a command run in a root with a clean environment: what a root shell on a fresh
# machine has (CI's own CI=true included).
root_command() {
    local root="$1"; shift
    local env=(HOME=/root PATH="$ROOT_PATH" LANG=C.UTF-8 TERM=dumb) name
    for name in "${CA_VARIABLES[@]}" CI; do
        if [[ -n "${!name:-}" ]]; then env+=("$name=${!name}"); fi
    done
    ROOT_COMMAND=(chroot "$root" /usr/bin/env -i "${env[@]}" "$@")
}

in_root() {
    root_command "$@"
    "${ROOT_COMMAND[@]}"
}

workplace_network() {
    local root="$1" file
    rm -f "$root/etc/apt/sources.list"
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "$file" && "$(basename "$file")" != kubevision-* ]] && cp "$file" "$root$file"
    done
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
    for file in /etc/pip.conf /etc/npmrc; do
        [[ -f "$file" ]] && cp "$file" "$root$file"
    done
    return 0
}

wait_for_banner() {
    local log_file="$1" pid="$2" deadline=$(( SECONDS + RUN_START_TIMEOUT_S ))
    while (( SECONDS < deadline )); do
        if grep -Eo 'Open: +http://127\.0\.0\.1:[0-9]+/' "$log_file" 2>/dev/null | grep -Eo '[0-9]+/$' | tr -d /; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$log_file"; die "'python3 build.py run' exited before serving"; }
        sleep 1
    done
    cat "$log_file"
    die "'python3 build.py run' printed no banner within $RUN_START_TIMEOUT_S s"
}

check_run_command() {
    local root="$1" log_file="$WORK/run.log" port pid health login
    log "README command 1: python3 build.py run"
    root_command "$root" env KUBEVISION_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
        bash -c 'cd /root/kubevision && exec python3 build.py run'
    "${ROOT_COMMAND[@]}" >"$log_file" 2>&1 &  # exec all the way down: $! is the server
    pid=$!
    port=$(wait_for_banner "$log_file" "$pid")
    health=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/healthz") || { cat "$log_file"; die "/healthz failed"; }
    login=$(curl -fsS --max-time 10 -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
        -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}")
    [[ "$login" == *'"code":0'* && "$login" == *'"accessToken"'* ]] || { cat "$log_file"; die "sign-in failed: $login"; }
    log "run command: banner port $port, /healthz $health, admin signed in"
    kill -INT "$pid"
    local status=0
    wait "$pid" || status=$?
    (( status == 0 )) || { cat "$log_file"; die "'python3 build.py run' exited with $status on Ctrl+C"; }
}

inside() {
    WORK="$1"
    local root="$WORK/root" jumphost="$WORK/jumphost" started
    mount --make-rprivate /
    new_root "$root"
    workplace_network "$root"
    mount_system "$root"
    log "fresh machine: installing python3 and ca-certificates (what the README asks for)"
    in_root "$root" apt-get update -q >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; die "apt-get update failed"; }
    in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 ca-certificates \
        >>"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; die "installing python3 failed"; }
    git clone -q --no-hardlinks "$REPO" "$root/root/kubevision"
    log "clean clone of $(git -C "$root/root/kubevision" log -1 --format='%h %s')"
    mkdir -p "$root$CACHE_DIR"
    mount --bind "$CACHE_DIR" "$root$CACHE_DIR"

    started=$SECONDS
    check_run_command "$root"
    log "run command checked in $(( SECONDS - started )) s"

    started=$SECONDS
    log "README command 2: python3 build.py test"
    in_root "$root" bash -c 'cd /root/kubevision && exec python3 build.py test' \
        || die "'python3 build.py test' failed in the fresh root"
    log "test command passed in $(( SECONDS - started )) s"

    new_root "$jumphost"
    compgen -G "$jumphost/usr/bin/python*" >/dev/null && die "the jump host root has a Python"
    install -m 0755 "$root/root/kubevision/dist/kubevision" "$jumphost/usr/local/bin/kubevision"
    mkdir -p "$root/jumphost"
    mount --bind "$jumphost" "$root/jumphost"
    mount_system "$root/jumphost"
    log "jump host: the executable in a root without Python, against a control plane on loopback"
    in_root "$root" bash -c 'cd /root/kubevision && exec .venv/bin/python -m tests.binary.jumphost /jumphost'
}

if [[ "${1:-}" == --inside ]]; then
    inside "$2"
else
    outside
fi
