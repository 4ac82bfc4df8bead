import { PrismError } from '../core/errors.js';
import type { Machine } from '../providers/provider.js';
import type { Run } from './run.js';

/**
 * The generalization before the snapshot (docs/templates.md, "Generalization"), so every machine
 * launched from the image is a new machine: its own machine-id and SSH host keys, cloud-init
 * running as on a first boot, no SSM agent state of the build instance, no shell histories, no
 * build logs, temporary files or apt lists. POSIX sh; what a base lacks is skipped.
 *
 * SSH host keys are regenerated at the next boot by cloud-init where it exists, else by a small
 * unit this installs (`prism-ami-ssh-host-keys.service`, `ssh-keygen -A` before sshd). The SSM
 * agent's own state is removed when the build instance shuts down for the snapshot (the agent
 * is running this command; a unit's ExecStop does it after the agent has stopped).
 */
export const GENERALIZE_COMMAND = `set -u
: > /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then rm -f /var/lib/dbus/machine-id; fi
if ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1; then
  rm -f /etc/ssh/ssh_host_*
  if ! command -v cloud-init >/dev/null 2>&1 && [ -d /etc/systemd/system ]; then
    cat > /etc/systemd/system/prism-ami-ssh-host-keys.service <<'UNIT'
[Unit]
Description=Generate SSH host keys on the first boot of a prism-ami image
Before=ssh.service sshd.service
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
UNIT
    mkdir -p /etc/systemd/system/multi-user.target.wants
    ln -sf ../prism-ami-ssh-host-keys.service /etc/systemd/system/multi-user.target.wants/prism-ami-ssh-host-keys.service
  fi
fi
if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs >/dev/null 2>&1 || rm -rf /var/lib/cloud/instance /var/lib/cloud/instances/* /var/log/cloud-init*.log; fi
if [ -d /var/lib/amazon/ssm ] && [ -d /etc/systemd/system ]; then
  rm -f /var/lib/amazon/ssm/registration
  cat > /etc/systemd/system/prism-ami-forget-ssm.service <<'UNIT'
[Unit]
Description=Remove the build instance's SSM agent state when it shuts down for the snapshot
Before=amazon-ssm-agent.service snap.amazon-ssm-agent.amazon-ssm-agent.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/bin/sh -c 'rm -rf /var/lib/amazon/ssm/i-* /var/lib/amazon/ssm/mi-* /var/lib/amazon/ssm/ipc /var/lib/amazon/ssm/Vault /var/log/amazon/ssm/*; rm -f /etc/systemd/system/prism-ami-forget-ssm.service'
UNIT
  systemctl daemon-reload >/dev/null 2>&1 && systemctl start prism-ami-forget-ssm.service >/dev/null 2>&1 || true
fi
rm -f /root/.bash_history /root/.lesshst /root/.viminfo /root/.wget-hsts /home/*/.bash_history /home/*/.lesshst 2>/dev/null
rm -rf /var/log/prism-ami
find /tmp /var/tmp -mindepth 1 -maxdepth 1 ! -name 'prism-step.*' -exec rm -rf {} + 2>/dev/null
if [ -d /var/lib/apt/lists ]; then find /var/lib/apt/lists -mindepth 1 -maxdepth 1 ! -name lock ! -name partial -exec rm -rf {} +; fi
if command -v apt-get >/dev/null 2>&1; then apt-get clean >/dev/null 2>&1 || true; fi
if command -v dnf >/dev/null 2>&1; then dnf clean all >/dev/null 2>&1 || true; fi
sync
echo generalized`;

/**
 * Before the snapshot: the generalization (unless the template turns it off), then the
 * template's own addition (`build.generalize.script`), as one step.
 */
export async function generalizeMachine(run: Run, machine: Machine): Promise<void> {
  const { provider, template, logFile } = run.settings;
  const settings = template.build.generalize ?? { enabled: true };
  if (!settings.enabled && !settings.script) return;
  await run.step(
    'generalize',
    'Generalizing the image',
    async () => {
      const done: string[] = [];
      if (settings.enabled) {
        const result = await provider.exec(
          machine,
          { kind: 'command', name: 'generalize', command: GENERALIZE_COMMAND, timeoutSeconds: 300 },
          run.ctx,
        );
        if (result.exitCode !== 0) {
          throw new PrismError(
            'BUILD_FAILED',
            `the generalization failed (exit ${String(result.exitCode)}): ${result.stderr.trim().split('\n').at(-1) ?? ''}`,
            {
              hint: `see ${logFile}; build.generalize: false turns it off`,
            },
          );
        }
        done.push('machine-id, SSH host keys, cloud-init, agent state, histories, temporary files, apt lists');
      }
      if (settings.script) {
        const result = await provider.exec(
          machine,
          {
            kind: 'script',
            name: 'generalize (template)',
            script: settings.script,
            timeoutSeconds: 600,
            onOutput: run.outputListener('generalize'),
          },
          run.ctx,
        );
        run.flushOutput('generalize');
        if (result.exitCode !== 0) {
          throw new PrismError('BUILD_FAILED', `the template's generalize script failed with exit code ${String(result.exitCode)}`, {
            hint: `its output is in ${logFile}`,
          });
        }
        done.push("the template's script");
      }
      return done.join('; ');
    },
    (what: string) => what,
  );
}
