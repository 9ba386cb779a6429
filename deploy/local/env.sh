# shellcheck shell=bash
# Settings of the local pipeline (sourced by scripts/up.sh). Development keys
# only: a real deployment sets its own (see docs/configuration.md).
export LONJAK_BUS__URL=${LONJAK_BUS__URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
export LONJAK_BUS__INTAKE_MAX_LENGTH=${LONJAK_BUS__INTAKE_MAX_LENGTH:-500000}
export LONJAK_DATABASE__URL=${LONJAK_DATABASE__URL:-postgres://postgres:postgres@127.0.0.1:5432/lonjak}
export LONJAK_DATABASE__DATA_KEY=${LONJAK_DATABASE__DATA_KEY:-6c6f6e6a616b2d6c6f63616c2d646174612d6b65792d6e6f742d736563726574}
# Sealing at the edge: the gateway seals to the public key. The private key
# is not exported: scripts/up.sh hands it to the verifier alone.
export LONJAK_SEAL__PUBLIC_KEY=${LONJAK_SEAL__PUBLIC_KEY:-L2Hd8oPnVFm1va9MwxlzPkyJR8vJNBKmUqKB1Snt6zU}
# shellcheck disable=SC2034 # read by scripts/up.sh
seal_private_key=${LONJAK_SEAL__PRIVATE_KEY:-bG9uamFrLWxvY2FsLXNlYWwta2V5LW5vdC1zZWNyZXQ}
unset LONJAK_SEAL__PRIVATE_KEY
export LONJAK_IDENTITY__KEY=${LONJAK_IDENTITY__KEY:-6c6f6e6a616b2d646576656c6f706d656e742d6b65792d6e6f742d7365637265}
# The stored look-up hashes' key: the workers and lonjak-ops only
# (scripts/up.sh starts the gateway without it).
export LONJAK_IDENTITY__LOOKUP_KEY=${LONJAK_IDENTITY__LOOKUP_KEY:-6c6f6e6a616b2d6c6f63616c2d6c6f6f6b75702d6b65792d6e6f742d73656372}
# Gateway: any wave from 1 up is open locally, so each load-test run can tag
# its registrations with a wave of its own.
export LONJAK_HTTP__ADDR=${LONJAK_HTTP__ADDR:-127.0.0.1:8080}
export LONJAK_INTAKE__OPEN_WAVES_MAX=${LONJAK_INTAKE__OPEN_WAVES_MAX:-1000000}
export LONJAK_ADMISSION__GLOBAL_PER_SEC=${LONJAK_ADMISSION__GLOBAL_PER_SEC:-3000}
# Load generators all come from 127.0.0.1: the per-client limit is raised
# locally so that one address can stand for a crowd.
export LONJAK_ADMISSION__CLIENT_PER_SEC=${LONJAK_ADMISSION__CLIENT_PER_SEC:-100000}
export LONJAK_ADMISSION__CLIENT_BURST=${LONJAK_ADMISSION__CLIENT_BURST:-100000}
# Registry simulator and the verifier's outbound limits (per ministry).
export LONJAK_SIM__LISTEN=${LONJAK_SIM__LISTEN:-127.0.0.1:8090}
for r in DUKCAPIL DAPODIK DTKS; do
  export LONJAK_SIM__${r}__RATE_PER_SEC="${LONJAK_SIM_RATE:-1500}"
  export LONJAK_SIM__${r}__MAX_CONCURRENT="${LONJAK_SIM_CONCURRENCY:-400}"
  export LONJAK_REGISTRIES__${r}__URL="http://${LONJAK_SIM__LISTEN}"
  export LONJAK_REGISTRIES__${r}__RATE_PER_SEC="${LONJAK_VERIFIER_RATE:-1200}"
done
# Notifier: the local mail server (scripts/services.sh) and the SMS
# simulator, and its own limits per provider. The verification key is shared
# by the notifier (which signs links) and the gateway (which checks them).
export LONJAK_EMAIL_VERIFICATION__KEY=${LONJAK_EMAIL_VERIFICATION__KEY:-6c6f6e6a616b2d6c6f63616c2d656d61696c2d6b65792d6e6f742d7365637265}
export LONJAK_EMAIL_VERIFICATION__LINK_BASE_URL=${LONJAK_EMAIL_VERIFICATION__LINK_BASE_URL:-http://$LONJAK_HTTP__ADDR}
export LONJAK_EMAIL__SMTP_URL=${LONJAK_EMAIL__SMTP_URL:-smtp://127.0.0.1:1025}
export LONJAK_SMS_SIM__LISTEN=${LONJAK_SMS_SIM__LISTEN:-127.0.0.1:8091}
export LONJAK_SMS__URL=${LONJAK_SMS__URL:-http://$LONJAK_SMS_SIM__LISTEN}
# Photos: the local object store (scripts/services.sh, SeaweedFS) with the
# development identity of deploy/seaweedfs/s3.json.
export LONJAK_OBJECT_STORE__ENDPOINT=${LONJAK_OBJECT_STORE__ENDPOINT:-http://127.0.0.1:8333}
export LONJAK_OBJECT_STORE__ACCESS_KEY=${LONJAK_OBJECT_STORE__ACCESS_KEY:-lonjak-local-access}
export LONJAK_OBJECT_STORE__SECRET_KEY=${LONJAK_OBJECT_STORE__SECRET_KEY:-lonjak-local-secret-not-for-production}
# Admin API (services/admin) and the command acting through it: one
# operator and one support agent, development tokens only.
export LONJAK_ADMIN__ADDR=${LONJAK_ADMIN__ADDR:-127.0.0.1:8081}
export LONJAK_ADMIN__OPERATOR_TOKENS=${LONJAK_ADMIN__OPERATOR_TOKENS:-dev-operator:lonjak-dev-operator-token-not-a-secret}
export LONJAK_ADMIN__AGENT_TOKENS=${LONJAK_ADMIN__AGENT_TOKENS:-dev-agent:lonjak-dev-agent-token-not-a-secret-0}
export LONJAK_ADMIN__URL=${LONJAK_ADMIN__URL:-http://$LONJAK_ADMIN__ADDR}
export LONJAK_ADMIN_TOKEN=${LONJAK_ADMIN_TOKEN:-lonjak-dev-operator-token-not-a-secret}
# Worker runtime (every worker): deliveries per batch and batches in flight.
export LONJAK_WORKER__BATCH_SIZE=${LONJAK_WORKER__BATCH_SIZE:-200}
export LONJAK_WORKER__CONCURRENCY=${LONJAK_WORKER__CONCURRENCY:-4}
export LONJAK_OPS__ADDR=${LONJAK_OPS__ADDR:-127.0.0.1:9101}
export RUST_LOG=${RUST_LOG:-info}
