#!/usr/bin/env bash
# Builds the sandbox's Go binaries (kube-apiserver, etcd, flagger) from their Go modules
# (module proxy only; nothing is fetched any other way) and caches them by version, so a
# second run is instant.
#
#   build-binaries.sh [kube-apiserver|etcd|flagger|all]
#
# The cache lives in $PD_SANDBOX_CACHE (default ~/.cache/progressive-delivery-sandbox):
#   bin/<name>-<version>   the binaries
#   build/                 wrapper modules, one per binary and version
#   locks/                 one lock per binary, so concurrent runs wait instead of building twice
# Versions: KUBERNETES_VERSION, ETCD_VERSION, FLAGGER_VERSION.
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.10}"
FLAGGER_VERSION="${FLAGGER_VERSION:-v1.44.0}"
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
# v0.x twin builds the real command instead.
build_kube_apiserver() {
  local out="$BIN/kube-apiserver-$KUBERNETES_VERSION"
  [ -x "$out" ] && { log "kube-apiserver $KUBERNETES_VERSION cached"; return; }
  local dir="$WORK/kube-apiserver-$KUBERNETES_VERSION"
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$dir"
  log "downloading the k8s.io/kubernetes@$KUBERNETES_VERSION module (first time: a few minutes)"
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"; return 1; }
  {
    echo "module sandbox.local/kube-apiserver"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    grep -Eo '^[[:space:]]*k8s.io/[a-z0-9-]+ => ./staging/src/k8s.io/[a-z0-9-]+' "$gomod" |
      awk -v v="$staging" '{ print "replace " $1 " => " $1 " " v }'
  } > "$dir/go.mod"
  log "wrapper module maps $(grep -c '^replace' "$dir/go.mod") staging modules to $staging"
  (cd "$dir" && timed "resolving kube-apiserver dependencies" go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION")
  log "compiling kube-apiserver $KUBERNETES_VERSION (first time: several minutes on 2 cores)"
  (cd "$dir" && timed "compiling kube-apiserver" go build -trimpath -o "$out.tmp" -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      k8s.io/kubernetes/cmd/kube-apiserver)
  # Flagger refuses an apiserver whose /version is not semver >= 1.11: check the ldflags took.
  "$out.tmp" --version | grep -q "$KUBERNETES_VERSION" || { log "kube-apiserver --version is not $KUBERNETES_VERSION"; return 1; }
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

# Flagger is built from its module source (module proxy), with one change: upstream's HTTP
# server (/metrics, /healthz) always listens on ":<port>", i.e. on every interface, and has no
# flag for the address. The sandbox must listen on 127.0.0.1 only, so pkg/server learns to
# accept "-port=127.0.0.1:<port>" (a bare port keeps upstream behaviour). Nothing else changes.
# PD_SANDBOX_FLAGGER_UNPATCHED=1 builds the untouched upstream command instead.
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
  local src
  src=$(go mod download -json "github.com/fluxcd/flagger@$FLAGGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "could not download github.com/fluxcd/flagger@$FLAGGER_VERSION"; return 1; }
  local dir="$WORK/flagger-$FLAGGER_VERSION-src"
  rm -rf "$dir"
  cp -r "$src" "$dir"
  chmod -R u+w "$dir"
  local server="$dir/pkg/server/server.go"
  sed -i 's|^\([[:space:]]*Addr:[[:space:]]*\)":" + port,$|\1listenAddress(port),|' "$server"
  [ "$(grep -c 'listenAddress(port),' "$server")" = 1 ] ||
    { log "flagger $FLAGGER_VERSION: pkg/server/server.go no longer has the expected Addr line; set PD_SANDBOX_FLAGGER_UNPATCHED=1"; return 1; }
  cat > "$dir/pkg/server/listen_address.go" <<'GO'
package server

import "strings"

// listenAddress lets -port carry a host ("127.0.0.1:8080"); a bare port keeps ":<port>".
// Added by the progressive-delivery sandbox build so that Flagger can listen on loopback only.
func listenAddress(port string) string {
	if strings.Contains(port, ":") {
		return port
	}
	return ":" + port
}
GO
  log "compiling flagger $FLAGGER_VERSION from its module source (listen address patch: pkg/server)"
  (cd "$dir" && timed "compiling flagger" go build -mod=mod -trimpath -ldflags "-s -w" -o "$out.tmp" ./cmd/flagger)
  "$out.tmp" -version 2>&1 | grep -q "${FLAGGER_VERSION#v}" || { log "flagger -version is not $FLAGGER_VERSION"; return 1; }
  mv "$out.tmp" "$out"
  rm -rf "$dir"
  log "built $out ($(du -h "$out" | cut -f1))"
}

case "${1:-all}" in
  kube-apiserver) with_lock kube-apiserver build_kube_apiserver ;;
  etcd) with_lock etcd build_etcd ;;
  flagger) with_lock flagger build_flagger ;;
  all)
    # One after the other: the machine has 2 cores and each build uses them all.
    with_lock etcd build_etcd
    with_lock flagger build_flagger
    with_lock kube-apiserver build_kube_apiserver
    ;;
  *) echo "usage: $0 [kube-apiserver|etcd|flagger|all]" >&2; exit 2 ;;
esac
log "binaries in $BIN"
