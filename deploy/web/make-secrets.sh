#!/usr/bin/env bash
# Makes a first TLS + basic auth setup for --web.config.file, with openssl, in OUT (default
# deploy/web/secrets, which git ignores):
#   ca.crt ca.key          a CA of your own (in real use keep ca.key elsewhere, or use your own CA)
#   tls.crt tls.key        the exporter's certificate, for localhost, 127.0.0.1, oom-exporter and every
#                          extra SAN given (DNS:host.example, IP:10.0.0.5)
#   client.crt client.key  a client certificate for Prometheus, if you turn on mutual TLS
#   password               Prometheus's password (random), for basic_auth.password_file
#   web-config.yml         web-config.example.yml with that password's bcrypt hash (cost 10)
# Usage: deploy/web/make-secrets.sh [OUT [SAN...]]. Files that exist are kept (delete them to renew).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/secrets}"
[ "$#" -gt 0 ] && shift
sans="DNS:localhost,IP:127.0.0.1,DNS:oom-exporter"
for s in "$@"; do sans+=",$s"; done
mkdir -p "$out"
cd "$out"
umask 077

cert() { # NAME CN SANS USAGE
  [ -e "$1.crt" ] && return
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$3" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 365 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

[ -e ca.crt ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=oom-exporter CA" 2>/dev/null
cert tls oom-exporter "$sans" serverAuth
cert client prometheus "DNS:prometheus" clientAuth
[ -e password ] || openssl rand -base64 24 | tr -d '/+=\n' > password

if [ ! -e web-config.yml ]; then
  pw="$(cat password)"
  if command -v htpasswd >/dev/null; then
    hash="$(htpasswd -nbBC 10 prometheus "$pw" | cut -d: -f2 | tr -d '\n')"
  else
    # bcryptjs, the exporter's own dependency (npm install first).
    hash="$(cd "$here/../.." && node --input-type=module -e 'const { default: b } = await import("bcryptjs"); process.stdout.write(b.hashSync(process.argv[1], 10));' "$pw")"
  fi
  sed "s|REPLACE_WITH_A_BCRYPT_HASH|$hash|" "$here/web-config.example.yml" > web-config.yml
fi
chmod 0644 ca.crt tls.crt client.crt web-config.yml
echo "made in $out: $(ls | tr '\n' ' ')"
echo "the exporter and Prometheus images run as 65534: sudo chown 65534 $out/tls.key $out/password"
