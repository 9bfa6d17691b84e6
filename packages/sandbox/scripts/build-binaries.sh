#!/usr/bin/env bash
# Builds the sandbox's Go binaries (kube-apiserver, kube-controller-manager, etcd, flagger,
# Flagger's loadtester and hey) from their Go modules (module proxy only; nothing is fetched
# any other way) and caches them by version, so a second run is instant.
#
#   build-binaries.sh [kube-apiserver|kube-controller-manager|etcd|flagger|loadtester|hey|all]
#
# The cache lives in $PD_SANDBOX_CACHE (default ~/.cache/progressive-delivery-sandbox):
#   bin/<name>-<version>   the binaries
#   build/                 wrapper modules, one per binary and version
#   locks/                 one lock per binary, so concurrent runs wait instead of building twice
# Versions: KUBERNETES_VERSION, ETCD_VERSION, FLAGGER_VERSION, HEY_VERSION.
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.10}"
FLAGGER_VERSION="${FLAGGER_VERSION:-v1.44.0}"
HEY_VERSION="${HEY_VERSION:-v0.1.5}"
CACHE="${PD_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery-sandbox}"
BIN="$CACHE/bin"
WORK="$CACHE/build"
LOCKS="$CACHE/locks"
mkdir -p "$BIN" "$WORK" "$LOCKS"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=0

START=$SECONDS
log() { echo "[sandbox build +$((SECONDS - START))s] $*" >&2; }

command -v go >/dev/null || { log "go is not installed (Go 1.26 is needed to build the sandbox binaries)"; exit 1; }

# Runs "$@" holding the lock of one binary; a concurrent build of the same binary waits.
with_lock() {
  local name="$1"; shift
  exec {fd}>"$LOCKS/$name.lock"
  if ! flock -n "$fd"; then
    log "another build of $name is running; waiting for it"
    flock "$fd"
  fi
  "$@"
  flock -u "$fd"
}

# Runs a step and reports how long it took.
timed() {
  local what="$1"; shift
  local t0=$SECONDS
  "$@"
  log "$what done in $((SECONDS - t0))s"
}

# The k8s.io/kubernetes module replaces every staging module with a relative path, which
# `go install` refuses; a wrapper module that maps each staging module to its published
# v0.x twin builds the real commands instead. kube-apiserver and kube-controller-manager are
# built from the same wrapper module, so they are always the same Kubernetes version.
kube_wrapper_module() {
  local dir="$WORK/kubernetes-$KUBERNETES_VERSION"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$dir"
  [ -f "$dir/go.mod" ] && grep -q "^require k8s.io/kubernetes $KUBERNETES_VERSION" "$dir/go.mod" && { echo "$dir"; return; }
  log "downloading the k8s.io/kubernetes@$KUBERNETES_VERSION module (first time: a few minutes)"
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"; return 1; }
  {
    echo "module sandbox.local/kubernetes"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    grep -Eo '^[[:space:]]*k8s.io/[a-z0-9-]+ => ./staging/src/k8s.io/[a-z0-9-]+' "$gomod" |
      awk -v v="$staging" '{ print "replace " $1 " => " $1 " " v }'
  } > "$dir/go.mod"
  log "wrapper module maps $(grep -c '^replace' "$dir/go.mod") staging modules to $staging"
  echo "$dir"
}

# build_kube_command kube-apiserver|kube-controller-manager
build_kube_command() {
  local name="$1"
  local out="$BIN/$name-$KUBERNETES_VERSION"
  [ -x "$out" ] && { log "$name $KUBERNETES_VERSION cached"; return; }
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local dir
  dir=$(kube_wrapper_module)
  (cd "$dir" && timed "resolving $name dependencies" go get "k8s.io/kubernetes/cmd/$name@$KUBERNETES_VERSION")
  log "compiling $name $KUBERNETES_VERSION (first time: several minutes on 2 cores)"
  (cd "$dir" && timed "compiling $name" go build -trimpath -o "$out.tmp" -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      "k8s.io/kubernetes/cmd/$name")
  # Flagger refuses an apiserver whose /version is not semver >= 1.11: check the ldflags took.
  "$out.tmp" --version | grep -q "$KUBERNETES_VERSION" || { log "$name --version is not $KUBERNETES_VERSION"; return 1; }
  mv "$out.tmp" "$out"
  log "built $out ($(du -h "$out" | cut -f1))"
}

# etcd's server module has relative replace directives too; as a dependency of a wrapper
# module they are ignored, and its main package builds.
build_etcd() {
  local out="$BIN/etcd-$ETCD_VERSION"
  [ -x "$out" ] && { log "etcd $ETCD_VERSION cached"; return; }
  local dir="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  printf 'module sandbox.local/etcd\n\ngo 1.26\n' > "$dir/go.mod"
  (cd "$dir" && timed "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION" go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  log "compiling etcd $ETCD_VERSION"
  (cd "$dir" && timed "compiling etcd" go build -trimpath -o "$out.tmp" -ldflags "-s -w" go.etcd.io/etcd/server/v3)
  "$out.tmp" --version | grep -q "${ETCD_VERSION#v}" || { log "etcd --version is not $ETCD_VERSION"; return 1; }
  mv "$out.tmp" "$out"
  log "built $out ($(du -h "$out" | cut -f1))"
}

# Flagger and its loadtester are built from Flagger's module source (module proxy), with one
# change each: upstream's HTTP servers (Flagger's /metrics and /healthz, the loadtester's API)
# always listen on ":<port>", i.e. on every interface, and have no flag for the address. The
# sandbox must listen on 127.0.0.1 only, so the server learns to accept "-port=127.0.0.1:<port>"
# (a bare port keeps upstream behaviour). Nothing else changes.
# PD_SANDBOX_FLAGGER_UNPATCHED=1 builds the untouched upstream commands instead.

# flagger_source <dir>: a writable copy of Flagger's module source.
flagger_source() {
  local dir="$1" src
  src=$(go mod download -json "github.com/fluxcd/flagger@$FLAGGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "could not download github.com/fluxcd/flagger@$FLAGGER_VERSION"; return 1; }
  rm -rf "$dir"
  cp -r "$src" "$dir"
  chmod -R u+w "$dir"
}

# patch_listen_address <go file> <package>: "Addr: ":" + port," becomes "Addr: listenAddress(port),".
patch_listen_address() {
  local file="$1" package="$2"
  sed -i 's|^\([[:space:]]*Addr:[[:space:]]*\)":" + port,$|\1listenAddress(port),|' "$file"
  [ "$(grep -c 'listenAddress(port),' "$file")" = 1 ] ||
    { log "flagger $FLAGGER_VERSION: $file no longer has the expected Addr line; set PD_SANDBOX_FLAGGER_UNPATCHED=1"; return 1; }
  cat > "$(dirname "$file")/listen_address.go" <<GO
package $package

import "strings"

// listenAddress lets -port carry a host ("127.0.0.1:8080"); a bare port keeps ":<port>".
// Added by the progressive-delivery sandbox build so that it can listen on loopback only.
func listenAddress(port string) string {
	if strings.Contains(port, ":") {
		return port
	}
	return ":" + port
}
GO
}

build_flagger() {
  local out="$BIN/flagger-$FLAGGER_VERSION-loopback"
  [ -x "$out" ] && { log "flagger $FLAGGER_VERSION cached"; return; }
  if [ "${PD_SANDBOX_FLAGGER_UNPATCHED:-}" = 1 ]; then
    log "compiling upstream flagger $FLAGGER_VERSION (go install from the module proxy; listens on all interfaces)"
    timed "building flagger" env GOBIN="$WORK/flagger-$FLAGGER_VERSION" \
      go install -trimpath -ldflags "-s -w" "github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION"
    mv "$WORK/flagger-$FLAGGER_VERSION/flagger" "$out"
    log "built $out ($(du -h "$out" | cut -f1))"
    return
  fi
  local dir="$WORK/flagger-$FLAGGER_VERSION-src"
  flagger_source "$dir"
  patch_listen_address "$dir/pkg/server/server.go" server
  log "compiling flagger $FLAGGER_VERSION from its module source (listen address patch: pkg/server)"
  (cd "$dir" && timed "compiling flagger" go build -mod=mod -trimpath -ldflags "-s -w" -o "$out.tmp" ./cmd/flagger)
  "$out.tmp" -version 2>&1 | grep -q "${FLAGGER_VERSION#v}" || { log "flagger -version is not $FLAGGER_VERSION"; return 1; }
  mv "$out.tmp" "$out"
  rm -rf "$dir"
  log "built $out ($(du -h "$out" | cut -f1))"
}

# The loadtester of the same Flagger module version (github.com/fluxcd/flagger/cmd/loadtester).
build_loadtester() {
  local out="$BIN/flagger-loadtester-$FLAGGER_VERSION-loopback"
  [ -x "$out" ] && { log "flagger loadtester $FLAGGER_VERSION cached"; return; }
  if [ "${PD_SANDBOX_FLAGGER_UNPATCHED:-}" = 1 ]; then
    log "compiling upstream flagger loadtester $FLAGGER_VERSION (listens on all interfaces)"
    timed "building the loadtester" env GOBIN="$WORK/loadtester-$FLAGGER_VERSION" \
      go install -trimpath -ldflags "-s -w" "github.com/fluxcd/flagger/cmd/loadtester@$FLAGGER_VERSION"
    mv "$WORK/loadtester-$FLAGGER_VERSION/loadtester" "$out"
    log "built $out ($(du -h "$out" | cut -f1))"
    return
  fi
  local dir="$WORK/loadtester-$FLAGGER_VERSION-src"
  flagger_source "$dir"
  patch_listen_address "$dir/pkg/loadtester/server.go" loadtester
  log "compiling flagger loadtester $FLAGGER_VERSION from its module source (listen address patch: pkg/loadtester)"
  (cd "$dir" && timed "compiling the loadtester" go build -mod=mod -trimpath -ldflags "-s -w" -o "$out.tmp" ./cmd/loadtester)
  mv "$out.tmp" "$out"
  rm -rf "$dir"
  log "built $out ($(du -h "$out" | cut -f1))"
}

# hey, the load generator Flagger's loadtester image ships and its docs' load tests call.
build_hey() {
  local out="$BIN/hey-$HEY_VERSION"
  [ -x "$out" ] && { log "hey $HEY_VERSION cached"; return; }
  timed "building hey" env GOBIN="$WORK/hey-$HEY_VERSION" \
    go install -trimpath -ldflags "-s -w" "github.com/rakyll/hey@$HEY_VERSION"
  mv "$WORK/hey-$HEY_VERSION/hey" "$out"
  log "built $out ($(du -h "$out" | cut -f1))"
}

case "${1:-all}" in
  kube-apiserver | kube-controller-manager) with_lock "$1" build_kube_command "$1" ;;
  etcd) with_lock etcd build_etcd ;;
  flagger) with_lock flagger build_flagger ;;
  loadtester) with_lock loadtester build_loadtester ;;
  hey) with_lock hey build_hey ;;
  all)
    # One after the other: the machine has 2 cores and each build uses them all.
    with_lock etcd build_etcd
    with_lock flagger build_flagger
    with_lock loadtester build_loadtester
    with_lock hey build_hey
    with_lock kube-apiserver build_kube_command kube-apiserver
    with_lock kube-controller-manager build_kube_command kube-controller-manager
    ;;
  *) echo "usage: $0 [kube-apiserver|kube-controller-manager|etcd|flagger|loadtester|hey|all]" >&2; exit 2 ;;
esac
log "binaries in $BIN"
