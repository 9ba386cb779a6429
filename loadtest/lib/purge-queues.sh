# shellcheck shell=bash
# Sourced by the load scripts that own a queue prefix (wait-accuracy.sh,
# waitroom.sh): empties every queue of that prefix so a run starts from an
# empty pipeline, not from what an earlier run left behind.
#
#   purge_prefix_queues PREFIX   # 0: purged; 1: no rabbitmqctl access
#
# Needs rabbitmqctl (root or the rabbitmq user); callers say what they do
# without it. Run it while the prefix's consumers are down: a purge leaves
# unacknowledged messages where they are.
purge_prefix_queues() {
  local prefix=$1 q
  command -v rabbitmqctl >/dev/null && rabbitmqctl -q list_queues name >/dev/null 2>&1 || return 1
  rabbitmqctl -q list_queues name | grep "^$prefix" | while read -r q; do
    rabbitmqctl -q purge_queue "$q" >/dev/null
  done
}
