/**
 * What the instance twin puts in its "AMIs": a stand-in for the SSM agent (the twin itself runs
 * the commands; the agent only has to be installed and running, as the real one must be for SSM
 * to reach an instance) and a stand-in for cloud-init that runs the user data once per instance,
 * at boot, and answers `cloud-init status` and `cloud-init clean` as cloud-init does.
 */

/** Where the twin writes, at each boot, what the instance metadata service would say (a tmpfs: never in an image). */
export const IMDS_DIR = '/run/prism-twin/imds';

export const AGENT_PROGRAM = `#!/bin/sh
# prism-ami instance twin: stands in for the SSM agent. The twin runs the commands SSM sends; this
# only has to run, as the real agent must for SSM to reach the instance.
iid=$(cat ${IMDS_DIR}/instance-id 2>/dev/null || echo unknown)
mkdir -p "/var/lib/amazon/ssm/$iid"
exec sleep infinity
`;

export const AGENT_UNIT = `[Unit]
Description=amazon-ssm-agent (prism-ami instance twin stand-in)
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/bin/amazon-ssm-agent
KillMode=process
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
`;

/** Early at boot, before sshd, as cloud-init's init stage is (new SSH host keys for a new instance). */
export const CLOUD_INIT_UNIT = `[Unit]
Description=Cloud-init: Network Stage (prism-ami instance twin stand-in)
Before=ssh.service sshd.service cloud-final.service

[Service]
Type=oneshot
ExecStart=/usr/bin/cloud-init init
RemainAfterExit=yes
TimeoutSec=0

[Install]
WantedBy=multi-user.target
`;

/** Started at boot after the network, as cloud-init's final stage is (scripts-user runs there). */
export const CLOUD_FINAL_UNIT = `[Unit]
Description=Cloud-init: Final Stage (prism-ami instance twin stand-in)
After=network-online.target time-sync.target cloud-init.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/bin/cloud-init modules --mode=final
RemainAfterExit=yes
TimeoutSec=0
KillMode=process

[Install]
WantedBy=multi-user.target
`;

export const CLOUD_INIT = `#!/bin/sh
# prism-ami instance twin: stands in for cloud-init. Once per instance it makes new SSH host keys
# (init, as cc_ssh does) and runs the user data (a #! script, final, as scripts-user does, with its
# output in /var/log/cloud-init-output.log); it answers "status [--wait] [--long]", "clean [--logs] [--machine-id] [--seed] [--reboot]" and
# "--version". Anything else is refused, loudly.
VERSION=23.1.2-prism-twin
LIB=/var/lib/cloud
RUN=/run/cloud-init
IMDS=${IMDS_DIR}
OUT=/var/log/cloud-init-output.log
LOG=/var/log/cloud-init.log

log() {
  echo "$*" >> "$OUT"
  echo "$(date '+%Y-%m-%d %H:%M:%S,000') - prism-twin[INFO]: $*" >> "$LOG"
}

# The metadata service answers once the twin has written it.
instance_dir() {
  n=0
  while [ ! -s "$IMDS/instance-id" ]; do
    n=$((n + 1))
    if [ "$n" -gt 1200 ]; then log "no instance metadata after 120 s"; return 1; fi
    sleep 0.1
  done
  iid=$(cat "$IMDS/instance-id")
  inst="$LIB/instances/$iid"
  mkdir -p "$inst/sem" "$inst/scripts" "$LIB/data"
  ln -sfn "$inst" "$LIB/instance"
}

init() {
  mkdir -p "$RUN"
  echo running > "$RUN/status"
  log "Cloud-init v. $VERSION running 'init' at $(date -R). Up $(cut -d' ' -f1 /proc/uptime) seconds."
  instance_dir || { echo error > "$RUN/status"; return 1; }
  if [ ! -e "$inst/sem/config_ssh" ] && [ -d /etc/ssh ] && command -v ssh-keygen > /dev/null; then
    rm -f /etc/ssh/ssh_host_*key*
    ssh-keygen -A >> "$OUT" 2>&1
    touch "$inst/sem/config_ssh"
  fi
  return 0
}

final() {
  mkdir -p "$RUN"
  echo running > "$RUN/status"
  log "Cloud-init v. $VERSION running 'modules:final' at $(date -R). Up $(cut -d' ' -f1 /proc/uptime) seconds."
  instance_dir || { echo error > "$RUN/status"; return 1; }
  # network-online: a default route.
  n=0
  while ! grep -q '^[^[:space:]]*[[:space:]]00000000[[:space:]]' /proc/net/route; do
    n=$((n + 1))
    if [ "$n" -gt 1200 ]; then log "no network after 120 s"; echo error > "$RUN/status"; return 1; fi
    sleep 0.1
  done
  rc=0
  if [ ! -e "$inst/sem/config_scripts_user" ]; then
    cp "$IMDS/user-data" "$inst/user-data.txt" 2>/dev/null || : > "$inst/user-data.txt"
    if [ ! -s "$inst/user-data.txt" ]; then
      :
    elif [ "$(head -c 2 "$inst/user-data.txt")" = "#!" ]; then
      cp "$inst/user-data.txt" "$inst/scripts/part-001"
      chmod 700 "$inst/scripts/part-001"
      "$inst/scripts/part-001" < /dev/null >> "$OUT" 2>&1 || rc=$?
      if [ "$rc" != 0 ]; then
        log "$(date '+%Y-%m-%d %H:%M:%S,000') - subp.py[WARNING]: Failed running $inst/scripts/part-001 [$rc]"
        log "$(date '+%Y-%m-%d %H:%M:%S,000') - util.py[WARNING]: Running module scripts_user failed"
      fi
    else
      log "prism-ami instance twin: only #! user data scripts are emulated; this user data starts with: $(head -c 40 "$inst/user-data.txt")"
      rc=1
    fi
    touch "$inst/sem/config_scripts_user"
  fi
  echo "$iid" > "$LIB/data/instance-id"
  log "Cloud-init v. $VERSION finished at $(date -R). Datasource DataSourceEc2Local.  Up $(cut -d' ' -f1 /proc/uptime) seconds"
  date +%s > "$inst/boot-finished"
  if [ "$rc" = 0 ]; then echo done > "$RUN/status"; else echo error > "$RUN/status"; fi
  return "$rc"
}

status() {
  wait=false
  long=false
  for a in "$@"; do
    case "$a" in
      -w|--wait) wait=true ;;
      -l|--long) long=true ;;
      *) echo "cloud-init status: unknown option $a" >&2; exit 2 ;;
    esac
  done
  waited=false
  while :; do
    s=$(cat "$RUN/status" 2>/dev/null || echo "not started")
    case "$s" in done|error) break ;; esac
    $wait || break
    printf .
    waited=true
    sleep 0.25
  done
  if $waited; then echo; fi
  echo "status: $s"
  if $long; then
    echo "boot_status_code: enabled-by-generator"
    echo "detail:"
    echo "DataSourceEc2Local"
  fi
  if [ "$s" = error ]; then exit 1; fi
  exit 0
}

clean() {
  logs=false
  machine=false
  seed=false
  reboot=false
  for a in "$@"; do
    case "$a" in
      -l|--logs) logs=true ;;
      --machine-id) machine=true ;;
      -s|--seed) seed=true ;;
      -r|--reboot) reboot=true ;;
      *) echo "cloud-init clean: unknown option $a" >&2; exit 2 ;;
    esac
  done
  for p in "$LIB"/* "$LIB"/.[!.]*; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    if [ "$p" = "$LIB/seed" ] && ! $seed; then continue; fi
    rm -rf "$p"
  done
  if $logs; then rm -f "$LOG" "$OUT"; fi
  if $machine; then printf 'uninitialized\\n' > /etc/machine-id; fi
  if $reboot; then systemctl reboot; fi
  exit 0
}

cmd=\${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  init) init; exit $? ;;
  modules)
    case "\${1:-}" in --mode=final|--mode) final; exit $? ;; esac
    echo "prism-ami instance twin: cloud-init modules $* is not emulated" >&2; exit 2 ;;
  status) status "$@" ;;
  clean) clean "$@" ;;
  --version|-v) echo "/usr/bin/cloud-init $VERSION" ;;
  *) echo "prism-ami instance twin: cloud-init $cmd is not emulated" >&2; exit 2 ;;
esac
`;
