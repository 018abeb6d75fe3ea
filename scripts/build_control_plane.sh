#!/usr/bin/env bash
# Build a real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler) from Debian's `kubernetes` source package, for the envtest suite.
#
# Why from source: no Docker/kind/k3s can run on the CI machines and no registry we
# can reach ships kube-apiserver binaries, but Debian ships the full source (v1.20.2 in
# bookworm, with vendored dependencies) and etcd as a binary package.
# See tests/envtest/ and /work/shared/ENVTEST.md for the background.
#
# Run as root on a Debian (bookworm) machine. Idempotent: if the three binaries are
# cached and `etcd` is on PATH it exits at once; with the binaries cached (a fresh machine
# that shares the cache) it only installs what they run with (etcd, openssl). Takes ~7
# minutes on 2 cores otherwise.
#
# Environment:
#   KUBEVISION_TEST_CACHE  cache dir (default /var/cache/kubevision-test);
#                          binaries go to $KUBEVISION_TEST_CACHE/bin.
set -euo pipefail

CACHE_DIR="${KUBEVISION_TEST_CACHE:-/var/cache/kubevision-test}"
BIN_DIR="$CACHE_DIR/bin"
WORK_DIR="$CACHE_DIR/work"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)
RUNTIME_PACKAGES=(etcd-server openssl)
PACKAGES=("${RUNTIME_PACKAGES[@]}" golang-go rsync dpkg-dev
          golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)
SOURCES_FILE=/etc/apt/sources.list.d/kubevision-deb-src.sources

log() { printf '[build_control_plane] %s\n' "$*"; }
die() { printf '[build_control_plane] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/apt_sources.sh
. "$(dirname "$0")/apt_sources.sh"

have_kube_binaries() {
    local b
    for b in "${BINARIES[@]}"; do
        [[ -s "$BIN_DIR/$b" && -x "$BIN_DIR/$b" ]] || return 1
    done
}

have_binaries() {
    have_kube_binaries && command -v etcd >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1
}

if have_binaries; then
    log "control plane already built: binaries in $BIN_DIR, etcd at $(command -v etcd); nothing to do."
    exit 0
fi

[[ $EUID -eq 0 ]] || die "must run as root (installs packages with apt-get)."

# One build at a time per cache: a second run waits here, then finds the binaries built.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.build.lock"
flock 9
if have_binaries; then
    log "control plane built meanwhile by another run; nothing to do."
    exit 0
fi

if have_kube_binaries; then
    log "binaries cached in $BIN_DIR; installing what they run with: ${RUNTIME_PACKAGES[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${RUNTIME_PACKAGES[@]}"
    have_binaries || die "etcd or openssl is not on PATH after installing ${RUNTIME_PACKAGES[*]}."
    exit 0
fi

# --- 1. deb-src entry ---------------------------------------------------------------
# shellcheck disable=SC1091
. /etc/os-release
SUITE="${VERSION_CODENAME:?cannot determine the Debian codename from /etc/os-release}"

has_deb_src() {
    grep -Eqs '^[[:space:]]*Types:.*\bdeb-src\b' /etc/apt/sources.list.d/*.sources \
        || grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}


if has_deb_src; then
    log "a deb-src entry already exists; not adding one."
else
    URIS=$(binary_uris "$SUITE") || die "no binary apt entry for suite '$SUITE' found to copy the URIs from."
    log "adding $SOURCES_FILE (URIs: $URIS, suite $SUITE)"
    cat >"$SOURCES_FILE" <<EOF
# Added by KubeVision scripts/build_control_plane.sh (source of the 'kubernetes' package).
Types: deb-src
URIs: $URIS
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi

# --- 2. packages ----------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
log "apt-get update"
apt-get update -q
if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "all packages already installed."
fi
command -v etcd >/dev/null 2>&1 || die "etcd is not on PATH after installing etcd-server."
command -v go >/dev/null 2>&1 || die "go is not on PATH after installing golang-go."
log "using $(go version), etcd $(etcd --version 2>/dev/null | sed -n 1p)"

# --- 3. source ------------------------------------------------------------------------
mkdir -p "$WORK_DIR" "$BIN_DIR"
cd "$WORK_DIR"
if ! ls kubernetes_*.orig.tar.gz >/dev/null 2>&1; then
    log "downloading the kubernetes source package into $WORK_DIR"
    # apt's _apt sandbox user cannot write here; the warning about it is harmless.
    apt-get source --download-only kubernetes
fi
# (sed -n 1p, not head: head would SIGPIPE tar, which pipefail turns into an error)
ORIG_TAR=$(ls kubernetes_*.orig.tar.gz | sed -n 1p)
SRC_DIR="$WORK_DIR/$(tar -tzf "$ORIG_TAR" | sed -n 1p | cut -d/ -f1)"
if [[ ! -f "$SRC_DIR/.kubevision-extracted" ]]; then
    log "extracting $ORIG_TAR"
    rm -rf "$SRC_DIR"
    tar -xzf "$ORIG_TAR"
    touch "$SRC_DIR/.kubevision-extracted"
fi
cd "$SRC_DIR"

# --- 4. reflect2 / json-iterator patch -----------------------------------------------
# The vendored modern-go/reflect2 v1.0.1 makes kube-apiserver panic (nil pointer in
# reflect2.Type2) on its first write when built with Go >= 1.18; use Debian's newer copies.
patch_vendor() {
    local pkg="$1" src="/usr/share/gocode/src/$1"
    [[ -d "$src" ]] || die "$src missing (is the matching golang-*-dev package installed?)"
    rm -rf "vendor/$pkg"
    mkdir -p "vendor/$pkg"
    cp -a "$src/." "vendor/$pkg/"
    find "vendor/$pkg" -name '*_test.go' -delete
}
if [[ ! -f .kubevision-patched ]]; then
    log "patching vendor/github.com/modern-go/reflect2 and vendor/github.com/json-iterator/go"
    patch_vendor github.com/modern-go/reflect2
    patch_vendor github.com/json-iterator/go
    touch .kubevision-patched
fi

# --- 5. build -------------------------------------------------------------------------
mkdir -p .go/src/k8s.io
[[ -L .go/src/k8s.io/kubernetes ]] || ln -s ../../.. .go/src/k8s.io/kubernetes
# A failed earlier attempt can leave empty files in _output/bin that make treats as built.
rm -rf _output
export GOPATH="$SRC_DIR/.go" CGO_ENABLED=0 GOCACHE="$WORK_DIR/.gocache"
log "building ${BINARIES[*]} (about 7 minutes on 2 cores)"
start=$(date +%s)
if ! make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler"; then
    rm -rf _output
    die "make failed (source kept in $SRC_DIR; rerun this script to retry)."
fi
log "build finished in $(( $(date +%s) - start )) s"

for b in "${BINARIES[@]}"; do
    [[ -s "_output/bin/$b" ]] || die "_output/bin/$b missing or empty after the build."
    install -m 0755 "_output/bin/$b" "$BIN_DIR/$b.tmp"
    mv -f "$BIN_DIR/$b.tmp" "$BIN_DIR/$b"
done

# --- 6. clean up (the source tree and Go cache are several GB) -------------------------
cd "$CACHE_DIR"
rm -rf "$WORK_DIR"
have_binaries || die "binaries not usable after the build."
log "done: $(ls "$BIN_DIR" | tr '\n' ' ')in $BIN_DIR; etcd at $(command -v etcd)"
