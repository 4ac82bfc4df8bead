import { PrismError } from '../core/errors.js';
import type { Machine } from '../providers/provider.js';
import type { Run } from './run.js';

/** How long a machine may take to settle before setup: cloud-init, apt's timers, package locks. */
export const SETTLE_TIMEOUT_SECONDS = 600;

/**
 * The settle command (POSIX sh, coreutils and grep only). A fresh cloud machine is still busy
 * when its agent answers: cloud-init runs its modules, and apt-daily / unattended-upgrades hold
 * the dpkg lock, so the first `apt-get` of a setup script fails now and then. It waits for
 * `cloud-init status --wait` where cloud-init exists, stops apt's timers for this boot only (they
 * stay enabled in the image), waits for apt-daily jobs already running, then waits until no
 * process holds a lock on dpkg's or apt's lock files (/proc/locks lists them by inode). It prints
 * what it waited for on its last line; exit 124 when the time ran out (the reason on stderr).
 */
export function settleCommand(timeoutSeconds = SETTLE_TIMEOUT_SECONDS): string {
  return `deadline=$(( $(date +%s) + ${timeoutSeconds} ))
left() { echo $(( deadline - $(date +%s) )); }
done_what=""
if command -v cloud-init >/dev/null 2>&1; then
  started=$(date +%s)
  timeout "$(left)" cloud-init status --wait >/dev/null 2>&1
  rc=$?
  if [ "$rc" = 124 ]; then echo "cloud-init was still running after ${timeoutSeconds} s" >&2; exit 124; fi
  if [ "$rc" = 0 ]; then done_what="cloud-init done in $(( $(date +%s) - started )) s"
  else done_what="cloud-init finished with errors (status $rc: see /var/log/cloud-init.log)"; fi
fi
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
  for unit in apt-daily.service apt-daily-upgrade.service; do
    while [ "$(systemctl is-active "$unit" 2>/dev/null)" = activating ] || [ "$(systemctl is-active "$unit" 2>/dev/null)" = active ]; do
      if [ "$(left)" -le 0 ]; then echo "$unit was still running after ${timeoutSeconds} s" >&2; exit 124; fi
      sleep 2
    done
  done
fi
waited=0
for lock in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
  [ -e "$lock" ] || continue
  inode=$(stat -c %i "$lock")
  while grep -q ":$inode " /proc/locks 2>/dev/null; do
    if [ "$(left)" -le 0 ]; then echo "$lock was still locked after ${timeoutSeconds} s" >&2; exit 124; fi
    waited=1
    sleep 2
  done
done
if [ "$waited" = 1 ]; then done_what="\${done_what:+$done_what; }waited for the package locks"; fi
echo "\${done_what:-nothing to wait for}"`;
}

/**
 * Before the first setup step: waits until the machine has settled (settleCommand), bounded;
 * the step's detail says what it waited for.
 */
export async function settleMachine(run: Run, machine: Machine): Promise<void> {
  const { provider } = run.settings;
  await run.step(
    'settle',
    `Waiting for the ${provider.machineNoun} to settle`,
    async () => {
      const result = await provider.exec(
        machine,
        { kind: 'command', name: 'settle', command: settleCommand(), timeoutSeconds: SETTLE_TIMEOUT_SECONDS + 60 },
        run.ctx,
      );
      if (result.exitCode === 0) return result.stdout.trim().split('\n').at(-1) ?? '';
      const why = result.stderr.trim().split('\n').at(-1) || `the settle command exited with ${String(result.exitCode)}`;
      throw new PrismError(
        result.exitCode === 124 || result.timedOut ? 'TIMEOUT' : 'BUILD_FAILED',
        `the ${provider.machineNoun} did not settle: ${why}`,
        {
          hint: 'cloud-init or apt kept running: see /var/log/cloud-init-output.log and `systemctl list-jobs` on the machine (--keep-on-failure keeps it); a slow first boot often passes on a retry',
        },
      );
    },
    (what: string) => what || undefined,
  );
}
