#!/usr/bin/env bash
# Builds the sandbox's Go binaries (kube-apiserver, etcd, flagger) from their Go modules
# and caches them by version, so a second run is instant.
#
#   build-binaries.sh [kube-apiserver|etcd|flagger|all]
#
# The cache lives in $PD_SANDBOX_CACHE (default ~/.cache/progressive-delivery-sandbox).
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.10}"
FLAGGER_VERSION="${FLAGGER_VERSION:-v1.44.0}"
CACHE="${PD_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery-sandbox}"
BIN="$CACHE/bin"
WORK="$CACHE/build"
mkdir -p "$BIN" "$WORK"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=0

log() { echo "[sandbox build] $*" >&2; }

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
  log "downloading k8s.io/kubernetes@$KUBERNETES_VERSION module (first time: a few minutes)"
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
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
  (cd "$dir" && log "resolving dependencies" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" &&
    log "compiling kube-apiserver $KUBERNETES_VERSION (first time: about 10 minutes on 2 cores)" &&
    go build -trimpath -o "$out.tmp" -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$out.tmp" "$out"
  log "built $out"
}

build_etcd() {
  local out="$BIN/etcd-$ETCD_VERSION"
  [ -x "$out" ] && { log "etcd $ETCD_VERSION cached"; return; }
  local dir="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  printf 'module sandbox.local/etcd\n\ngo 1.26\n' > "$dir/go.mod"
  (cd "$dir" && log "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
    log "compiling etcd $ETCD_VERSION" &&
    go build -trimpath -o "$out.tmp" -ldflags "-s -w" go.etcd.io/etcd/server/v3)
  mv "$out.tmp" "$out"
  log "built $out"
}

build_flagger() {
  local out="$BIN/flagger-$FLAGGER_VERSION"
  [ -x "$out" ] && { log "flagger $FLAGGER_VERSION cached"; return; }
  log "compiling flagger $FLAGGER_VERSION"
  GOBIN="$WORK/flagger-$FLAGGER_VERSION" go install -trimpath -ldflags "-s -w" "github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION"
  mv "$WORK/flagger-$FLAGGER_VERSION/flagger" "$out"
  log "built $out"
}

case "${1:-all}" in
  kube-apiserver) build_kube_apiserver ;;
  etcd) build_etcd ;;
  flagger) build_flagger ;;
  all) build_etcd; build_flagger; build_kube_apiserver ;;
  *) echo "usage: $0 [kube-apiserver|etcd|flagger|all]" >&2; exit 2 ;;
esac
