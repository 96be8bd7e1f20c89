#!/bin/sh
# Creates the serving certificate for the secure overlay: a one-off CA (its key is deleted once it
# has signed), and a P-256 serving certificate for the Service metrics-server.kube-system.svc.
#
# Usage: generate-certs.sh [OUTPUT_DIR] [DAYS]
#   OUTPUT_DIR  where ca.crt, tls.crt and tls.key are written (default: this script's directory)
#   DAYS        validity in days (default 365)
# Environment (for other servers, e.g. the agents; defaults are the server's Service names):
#   COMMON_NAME        subject CN
#   SUBJECT_ALT_NAMES  comma-separated SANs, e.g. "IP:10.0.0.5,IP:10.0.0.6,DNS:node-1"
#
# Renewal: run it again and re-apply the overlay; the Secret, the Deployment's rollout and the
# APIService caBundle change together in one `kubectl apply -k`.
set -eu

dir=${1:-$(dirname "$0")}
days=${2:-365}
service=metrics-server
namespace=kube-system

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/ca.key" -out "$dir/ca.crt" -days "$days" \
  -subj "/CN=kubemeter serving CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$dir/tls.key" -out "$tmp/tls.csr" \
  -subj "/CN=${COMMON_NAME:-$service.$namespace.svc}" 2>/dev/null

sans=${SUBJECT_ALT_NAMES:-DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.cluster.local}

cat >"$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$sans
EXT

openssl x509 -req -in "$tmp/tls.csr" -CA "$dir/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -out "$dir/tls.crt" -days "$days" -sha256 \
  -extfile "$tmp/ext.cnf" 2>/dev/null

chmod 644 "$dir/ca.crt" "$dir/tls.crt"
echo "wrote $dir/ca.crt, $dir/tls.crt and $dir/tls.key (CA key discarded)"
