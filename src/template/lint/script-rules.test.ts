import { describe, expect, it } from 'vitest';
import { checkScript, SCRIPT_RULE_IDS } from './script-rules.js';

/** A prelude that satisfies no-errexit and apt-interactive, so each test sees one rule. */
const SAFE = 'set -euo pipefail\nexport DEBIAN_FRONTEND=noninteractive\n';

/** `rule@line:column` for each finding of a script that starts with SAFE (lines 1-2). */
function findings(body: string, prelude = SAFE): string[] {
  return checkScript(prelude + body).map((f) => `${f.rule}@${f.line}:${f.column}`);
}

describe('checkScript', () => {
  it('finds nothing in a careful script', () => {
    const careful = [
      '#!/bin/bash',
      'set -euo pipefail',
      'export DEBIAN_FRONTEND=noninteractive',
      'apt-get update -y',
      'apt-get install -y --no-install-recommends nginx',
      'curl -fsSLo /tmp/tool.sh https://example.com/tool.sh',
      'echo "abc123  /tmp/tool.sh" | sha256sum -c',
      'bash /tmp/tool.sh',
      'useradd -m ada || true',
      'passwd -l ada',
      'echo "ada:$ADA_PASSWORD" | chpasswd',
      'curl -fsS http://localhost:8080/health',
    ].join('\n');
    expect(checkScript(careful)).toEqual([]);
  });

  it('every rule id it can report is listed', () => {
    expect([...SCRIPT_RULE_IDS].sort()).toEqual([
      'script/apt-interactive',
      'script/literal-password',
      'script/masked-install-failure',
      'script/no-errexit',
      'script/pipe-to-shell',
      'script/plain-http',
    ]);
  });

  describe('script/literal-password', () => {
    it.each([
      ['echo into chpasswd', 'echo "ubuntu:prism" | chpasswd', 'script/literal-password@3:23'],
      ['single quotes and sudo', "echo 'root:hunter2' | sudo chpasswd", 'script/literal-password@3:28'],
      ['printf', "printf 'ada:s3cret\\n' | chpasswd", 'script/literal-password@3:25'],
      ['a here-string', "chpasswd <<< 'ada:s3cret'", 'script/literal-password@3:1'],
      ['an unquoted here-string', 'chpasswd <<< ada:s3cret', 'script/literal-password@3:1'],
      ['a heredoc', 'chpasswd <<EOF\nada:s3cret\nEOF', 'script/literal-password@3:1'],
      ['passwd --stdin', 'echo s3cret | passwd --stdin ada', 'script/literal-password@3:15'],
      ['printf with a format', "printf '%s\\n' 'ada:s3cret' | chpasswd", 'script/literal-password@3:30'],
      ['printf with the parts apart', 'printf "%s:%s\\n" ada s3cret | sudo chpasswd', 'script/literal-password@3:36'],
      ['echo -e into passwd (both prompts)', 'echo -e "s3cret\\ns3cret" | passwd ada', 'script/literal-password@3:28'],
      ['a group of echoes', '(echo s3cret; echo s3cret) | passwd ada', 'script/literal-password@3:30'],
      ['yes', 'yes s3cret | passwd ada', 'script/literal-password@3:14'],
      ['usermod -p with a literal hash', "usermod -p '$6$abc$def' ada", 'script/literal-password@3:1'],
      [
        'useradd --password from openssl passwd of a literal',
        'useradd -m --password "$(openssl passwd -6 s3cret)" ada',
        'script/literal-password@3:1',
      ],
    ])('reports %s as an error', (_what, line, expected) => {
      expect(findings(line)).toEqual([expected]);
      expect(checkScript(SAFE + line)[0].severity).toBe('error');
    });

    it.each([
      ['a variable', 'echo "ubuntu:$PASS" | chpasswd'],
      ['a braced variable', 'echo "ubuntu:${PASS}" | chpasswd'],
      ['a command substitution', 'echo "ubuntu:$(openssl rand -hex 12)" | chpasswd'],
      ['a here-string with a variable', 'chpasswd <<< "ada:$PASS"'],
      ['a heredoc with a variable', 'chpasswd <<EOF\nada:$PASS\nEOF'],
      ['a comment', '# echo "ubuntu:prism" | chpasswd'],
      ['a locked account', 'passwd -l ubuntu'],
      ['passwd fed from a variable', 'echo "$PW" | passwd --stdin ada'],
      ['a hash in a variable', 'usermod -p "$HASH" ada'],
      ['chpasswd from a file', 'chpasswd < /run/secrets/users'],
      ['an or-list, not a pipe', 'echo done || passwd -l ada'],
    ])('does not report %s', (_what, line) => {
      expect(findings(line)).toEqual([]);
    });
  });

  describe('script/pipe-to-shell', () => {
    it.each([
      ['curl | sh', 'curl -fsSL https://get.example.com | sh'],
      ['curl | sudo bash', 'curl -fsSL https://get.example.com | sudo bash'],
      ['wget | sudo -E bash -s', 'wget -qO- https://get.example.com | sudo -E bash -s -- --yes'],
      ['bash <(curl …)', 'bash <(curl -fsSL https://get.example.com)'],
      ['sh -c "$(curl …)"', 'sh -c "$(curl -fsSL https://get.example.com)"'],
    ])('reports %s', (_what, line) => {
      expect(findings(line)).toEqual(['script/pipe-to-shell@3:1']);
      expect(checkScript(SAFE + line)[0].severity).toBe('warning');
    });

    it.each([
      ['a download to a file', 'curl -fsSLo /tmp/install.sh https://get.example.com'],
      ['a download into tar', 'curl -fsSL https://example.com/x.tar.gz | tar xz'],
      ['running a checked file', 'bash /tmp/install.sh'],
    ])('does not report %s', (_what, line) => {
      expect(findings(line)).toEqual([]);
    });
  });

  describe('script/plain-http', () => {
    it('reports a plain http download at the URL', () => {
      expect(findings('wget http://example.com/tool.deb')).toEqual(['script/plain-http@3:6']);
      expect(findings("R -e \"install.packages('x', repos='http://cran.rstudio.com/')\"")).toEqual(['script/plain-http@3:36']);
    });

    it.each([
      ['https', 'curl -fsSO https://example.com/tool.deb'],
      ['localhost', 'curl -fsS http://localhost:8080/health'],
      ['127.0.0.1', 'curl -fsS http://127.0.0.1/status'],
      ['localhost without a port', 'curl -fsS http://localhost/'],
    ])('does not report %s', (_what, line) => {
      expect(findings(line)).toEqual([]);
    });
  });

  describe('script/masked-install-failure', () => {
    it.each([
      ['apt-get install || true', 'apt-get install -y foo || true', 'script/masked-install-failure@3:24'],
      ['dpkg -i || true', 'dpkg -i foo.deb || true', 'script/masked-install-failure@3:17'],
      ['pip install || :', 'pip install foo || :', 'script/masked-install-failure@3:17'],
    ])('reports %s at the mask', (_what, line, expected) => {
      expect(findings(line)).toEqual([expected]);
    });

    it.each([
      ['|| true after something else', 'useradd -m ada || true'],
      ['an install that may fail loudly', 'apt-get install -y foo'],
      ['|| true before the install', 'rm /tmp/x || true; apt-get install -y foo'],
    ])('does not report %s', (_what, line) => {
      expect(findings(line)).toEqual([]);
    });
  });

  describe('script/no-errexit', () => {
    it('reports a script without set -e at its first command', () => {
      expect(findings('echo hi\n', '')).toEqual(['script/no-errexit@1:1']);
      expect(findings('#!/bin/bash\n\necho hi\n', '')).toEqual(['script/no-errexit@3:1']);
      expect(findings('# set -e (commented out)\necho hi\n', '')).toEqual(['script/no-errexit@2:1']);
      expect(findings('set -o pipefail\necho hi\n', '')).toEqual(['script/no-errexit@1:1']);
    });

    it.each([
      ['set -e', 'set -e\necho hi\n'],
      ['set -euo pipefail later', 'echo start\nset -euo pipefail\n'],
      ['set -o errexit', 'set -o errexit\necho hi\n'],
      ['set -Eeuxo pipefail', 'set -Eeuxo pipefail\necho hi\n'],
      ['a #!/bin/bash -e line', '#!/bin/bash -e\necho hi\n'],
    ])('accepts %s', (_what, script) => {
      expect(findings(script, '')).toEqual([]);
    });
  });

  describe('script/apt-interactive', () => {
    it('reports apt-get without -y or without DEBIAN_FRONTEND=noninteractive', () => {
      expect(findings('apt-get install nginx', 'set -e\nexport DEBIAN_FRONTEND=noninteractive\n')).toEqual(['script/apt-interactive@3:1']);
      expect(findings('apt-get install -y nginx', 'set -e\n')).toEqual(['script/apt-interactive@2:1']);
      expect(findings('sudo apt upgrade --yes', 'set -e\n')).toEqual(['script/apt-interactive@2:6']);
      const [finding] = checkScript('set -e\napt-get install nginx\n');
      expect(finding.message).toContain('without -y');
      expect(finding.message).toContain('DEBIAN_FRONTEND=noninteractive');
    });

    it.each([
      ['an exported frontend and -y', 'set -e\nexport DEBIAN_FRONTEND=noninteractive\napt-get install -y nginx\n'],
      ['an inline frontend and -y', 'set -e\nDEBIAN_FRONTEND=noninteractive apt-get install -y nginx\n'],
      ['apt-get update (it asks nothing)', 'set -e\napt-get update\n'],
      ['--assume-yes', 'set -e\nexport DEBIAN_FRONTEND=noninteractive\napt-get --assume-yes install nginx\n'],
    ])('accepts %s', (_what, script) => {
      expect(findings(script, '')).toEqual([]);
    });
  });

  describe('# prism-ami: disable=<rule>', () => {
    it.each([
      ['script/literal-password', 'echo "ubuntu:prism" | chpasswd'],
      ['script/pipe-to-shell', 'curl -fsSL https://get.example.com | sh'],
      ['script/plain-http', 'wget http://example.com/tool.deb'],
      ['script/masked-install-failure', 'apt-get install -y foo || true'],
    ])('silences %s on the line and on the line before, and nothing else', (rule, line) => {
      expect(findings(line)).toHaveLength(1);
      expect(findings(`${line}  # prism-ami: disable=${rule}`)).toEqual([]);
      expect(findings(`# prism-ami: disable=${rule}\n${line}`)).toEqual([]);
      // Another rule's directive, or a directive two lines up, does not silence it.
      const other = rule === 'script/plain-http' ? 'script/pipe-to-shell' : 'script/plain-http';
      expect(findings(`# prism-ami: disable=${other}\n${line}`)).toHaveLength(1);
      expect(findings(`# prism-ami: disable=${rule}\necho between\n${line}`)).toHaveLength(1);
    });

    it('silences script/apt-interactive on its line', () => {
      expect(findings('apt-get install -y nginx # prism-ami: disable=script/apt-interactive', 'set -e\n')).toEqual([]);
      expect(findings('# prism-ami: disable=script/apt-interactive\napt-get install -y nginx', 'set -e\n')).toEqual([]);
    });

    it('silences script/no-errexit on the first command or the line before it', () => {
      expect(findings('# prism-ami: disable=script/no-errexit\necho hi\n', '')).toEqual([]);
      expect(findings('#!/bin/bash\n# prism-ami: disable=script/no-errexit\necho hi\n', '')).toEqual([]);
      expect(findings('echo hi  # prism-ami: disable=script/no-errexit\n', '')).toEqual([]);
    });

    it('takes several rules separated by commas', () => {
      const line = 'curl http://get.example.com/install.sh | sh';
      expect(findings(line)).toEqual(['script/pipe-to-shell@3:1', 'script/plain-http@3:6']);
      expect(findings(`${line} # prism-ami: disable=script/plain-http,script/pipe-to-shell`)).toEqual([]);
      expect(findings(`${line} # prism-ami: disable=script/plain-http`)).toEqual(['script/pipe-to-shell@3:1']);
    });
  });

  it('reports at the physical line where a continued command starts', () => {
    expect(findings('echo one\ncurl -fsSL \\\n  https://get.example.com \\\n  | sh\necho after')).toEqual(['script/pipe-to-shell@4:1']);
  });
});
