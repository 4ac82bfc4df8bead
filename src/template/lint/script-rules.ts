/**
 * Security and reliability rules for setup scripts. Pure: a script's text in, findings with
 * script-relative positions out. Line-based, so they are heuristics: each finding names its rule,
 * and `# prism-ami: disable=<rule>` on the line (or the line before) silences it.
 */

export interface ScriptFinding {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
  /** 1-based line in the script. */
  line: number;
  /** 1-based column in that line. */
  column: number;
}

interface ScriptLine {
  /** 1-based physical line where the logical line starts. */
  line: number;
  /** The code with comments removed, continuation lines joined. */
  code: string;
  /** Rules disabled for this line. */
  disabled: Set<string>;
}

const DISABLE = /#\s*prism-ami:\s*disable=([\w/-]+(?:\s*,\s*[\w/-]+)*)/;

/** Splits a script into logical lines without comments, tracking heredoc bodies as data. */
export function scriptLines(script: string): ScriptLine[] {
  const physical = script.split('\n');
  const out: ScriptLine[] = [];
  let pendingDisable = new Set<string>();
  let heredocEnd: string | undefined;
  for (let i = 0; i < physical.length; i++) {
    let raw = physical[i];
    const startLine = i + 1;
    if (heredocEnd !== undefined) {
      if (raw.trim() === heredocEnd) heredocEnd = undefined;
      else out.push({ line: startLine, code: `\u0000heredoc ${raw}`, disabled: pendingDisable });
      continue;
    }
    const disabled = new Set(pendingDisable);
    pendingDisable = new Set();
    const directive = DISABLE.exec(raw);
    if (directive) {
      const rules = directive[1].split(',').map((r) => r.trim());
      if (raw.trim().startsWith('#')) {
        rules.forEach((r) => pendingDisable.add(r));
        continue;
      }
      rules.forEach((r) => disabled.add(r));
    }
    let code = stripComment(raw);
    while (code.endsWith('\\') && i + 1 < physical.length) {
      i++;
      raw = physical[i]!;
      code = `${code.slice(0, -1)} ${stripComment(raw)}`;
    }
    if (code.trim() === '') continue;
    const heredoc = /<<-?\s*(['"]?)(\w+)\1/.exec(code);
    if (heredoc) heredocEnd = heredoc[2];
    out.push({ line: startLine, code, disabled });
  }
  return out;
}

/** Removes a `#` comment that is not inside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '\\') {
      i++;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line;
}

const HEREDOC_PREFIX = '\u0000heredoc ';

function column(index: number): number {
  return index + 1;
}

type Rule = (lines: ScriptLine[], context: { script: string }) => ScriptFinding[];

/** A command that only prints literal text: nothing it prints comes from a variable or a command. */
function literalFeed(left: string): boolean {
  const feeder = left.replace(/^[\s(]+|[\s)]+$/g, '');
  if (/[$`]/.test(feeder)) return false;
  // echo/printf/yes, possibly several in a group: (echo s; echo s) | passwd ada
  return feeder.split(/\s*;\s*/).every((part) => /^(?:echo|printf|yes)\b/.test(part.trim()));
}

const literalPassword: Rule = (lines) => {
  const findings: ScriptFinding[] = [];
  const fix =
    'do not bake passwords into images: lock the account (passwd -l) and let the launcher set credentials at boot, or read a secret at build time';
  const report = (l: ScriptLine, index: number, message: string) =>
    findings.push({ rule: 'script/literal-password', severity: 'error', message, fix, line: l.line, column: column(index) });
  lines.forEach((l, index) => {
    const code = l.code;
    if (code.startsWith(HEREDOC_PREFIX)) return;
    // A pipe into chpasswd or passwd (--stdin, or its two prompts) from a literal: echo, printf, yes.
    for (const m of code.matchAll(/(?<!\|)\|(?!\|)\s*(?:sudo\s+(?:-\S+\s+)*)?(chpasswd|passwd)\b([^|;&]*)/g)) {
      const tool = m[1];
      if (tool === 'passwd' && /(?:^|\s)-(?:l|S|e|d|u)\b|--(?:lock|status|expire|delete|unlock)\b/.test(m[2])) continue;
      const before = code.slice(0, m.index);
      const left = before.slice(
        Math.max(
          before.lastIndexOf('&&'),
          before.lastIndexOf('||'),
          before.lastIndexOf(';') > before.lastIndexOf('(') ? before.lastIndexOf(';') : -1,
        ) + 1,
      );
      if (literalFeed(left.replace(/^&|^\|/, ''))) {
        report(
          l,
          m.index + m[0].indexOf(tool),
          `${tool === 'chpasswd' ? 'chpasswd' : `passwd ${m[2].trim()}`.trim()} is fed a literal password, which every instance of this image will share`,
        );
      }
    }
    const chpasswd = /\bchpasswd\b/.exec(code);
    if (chpasswd) {
      // chpasswd <<< 'user:pass', chpasswd <<EOF … EOF
      const hereString = /<<<\s*(['"]?)([^'"$`]*?:[^'"$`\s]+)\1/.exec(code);
      const heredocLiteral =
        /<<-?\s*['"]?\w+/.test(code) &&
        lines
          .slice(index + 1)
          .find((next) => next.code.startsWith(HEREDOC_PREFIX) && /^[^$`]*:[^$`\s]+$/.test(next.code.slice(HEREDOC_PREFIX.length).trim()));
      if (hereString || heredocLiteral)
        report(l, chpasswd.index, 'chpasswd is fed a literal password, which every instance of this image will share');
    }
    // useradd/usermod -p HASH: a literal hash, or one made from a literal at build time, is a shared password too.
    const option = /\b(?:useradd|usermod)\b.*?\s(?:-p|--password)(?:\s+|=)("[^"]*"|'[^']*'|\S+)/.exec(code);
    if (option) {
      const quoted = option[1];
      const value = quoted.replace(/^["']|["']$/g, '');
      const madeFromLiteral = /^\$\((?:openssl\s+passwd|mkpasswd)\b[^$`]*\)$/.test(value);
      if (quoted.startsWith("'") || !/[$`]/.test(value) || madeFromLiteral)
        report(l, option.index, 'the account gets a password written in the script, which every instance of this image will share');
    }
  });
  return findings;
};

const pipeToShell: Rule = (lines) =>
  lines.flatMap((l) => {
    const m =
      /\b(curl|wget)\b[^|;&]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+\S+=\S+\s+)*(?:ba|z|da|k)?sh\b/.exec(l.code) ??
      /\b(?:ba)?sh\s+(?:-c\s+)?["']?\$\(\s*(curl|wget)\b/.exec(l.code) ??
      /\b(?:ba)?sh\s+<\(\s*(curl|wget)\b/.exec(l.code);
    if (!m || l.code.startsWith(HEREDOC_PREFIX)) return [];
    return [
      {
        rule: 'script/pipe-to-shell',
        severity: 'warning' as const,
        message: `a download (${m[1]}) is run by a shell without being checked`,
        fix: 'download to a file, check it (sha256sum -c or a signature), then run it',
        line: l.line,
        column: column(m.index),
      },
    ];
  });

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)(:\d+)?(\/|$)/;

const plainHttp: Rule = (lines) =>
  lines.flatMap((l) => {
    const findings: ScriptFinding[] = [];
    for (const m of l.code.matchAll(/\bhttp:\/\/([^\s'"`)]+)/g)) {
      if (LOOPBACK.test(m[1])) continue;
      findings.push({
        rule: 'script/plain-http',
        severity: 'warning',
        message: `downloads over plain http (${m[0]}) can be tampered with on the way`,
        fix: `use https://${m[1]}`,
        line: l.line,
        column: column(m.index),
      });
    }
    return findings;
  });

const INSTALL =
  /\b(apt-get\s+(?:\S+\s+)*install|apt\s+(?:\S+\s+)*install|dpkg\s+(?:-\S+\s+)*-i\b|dpkg\s+--install|yum\s+(?:\S+\s+)*install|dnf\s+(?:\S+\s+)*install|pip3?\s+install|npm\s+(?:i|install)\b|gem\s+install|install\.packages)/;

const maskedInstall: Rule = (lines) =>
  lines.flatMap((l) => {
    if (l.code.startsWith(HEREDOC_PREFIX)) return [];
    const install = INSTALL.exec(l.code);
    const masked = /\|\|\s*(true|:|\/bin\/true)\b|\|\|\s*:\s*$/.exec(l.code);
    if (!install || !masked || masked.index < install.index) return [];
    return [
      {
        rule: 'script/masked-install-failure',
        severity: 'warning' as const,
        message: `"${masked[0].trim()}" hides a failed install; the image would be built without it`,
        fix: 'remove it; for a .deb with missing dependencies use apt-get install -y ./package.deb',
        line: l.line,
        column: column(masked.index),
      },
    ];
  });

const ERREXIT = /^\s*set\s+(?:-[a-zA-Z]*e[a-zA-Z]*\b|-o\s+errexit\b|.*\s-[a-zA-Z]*e[a-zA-Z]*\b)/;

const noErrexit: Rule = (lines, { script }) => {
  const firstLine = script.split('\n')[0] ?? '';
  if (/^#!.*\s-[a-zA-Z]*e/.test(firstLine)) return [];
  if (lines.some((l) => ERREXIT.test(l.code))) return [];
  // Reported at the first command, so `# prism-ami: disable=script/no-errexit` on the line
  // before it (after a #! line) silences it like any other rule.
  return [
    {
      rule: 'script/no-errexit',
      severity: 'warning',
      message: 'the script goes on after a failing command, so a broken step can still produce an image',
      fix: 'start it with `set -euo pipefail`',
      line: lines[0]?.line ?? 1,
      column: 1,
    },
  ];
};

const APT_ACTION = /\b(apt-get|apt)\s+((?:-\S+\s+)*)(install|upgrade|dist-upgrade|full-upgrade|remove|purge|autoremove)\b/;

const aptInteractive: Rule = (lines) => {
  const findings: ScriptFinding[] = [];
  let frontendSet = false;
  for (const l of lines) {
    if (l.code.startsWith(HEREDOC_PREFIX)) continue;
    if (/\bDEBIAN_FRONTEND=["']?noninteractive/.test(l.code) && !APT_ACTION.test(l.code)) {
      frontendSet = true;
      continue;
    }
    const m = APT_ACTION.exec(l.code);
    if (!m) continue;
    const inline = /\bDEBIAN_FRONTEND=["']?noninteractive/.test(l.code);
    const yes = /(^|\s)(-[a-zA-Z]*y[a-zA-Z]*|--yes|--assume-yes)(\s|$)/.test(l.code);
    const missing: string[] = [];
    if (!yes) missing.push('without -y it waits for a yes');
    if (!frontendSet && !inline) missing.push('without DEBIAN_FRONTEND=noninteractive debconf may ask questions');
    if (missing.length === 0) continue;
    findings.push({
      rule: 'script/apt-interactive',
      severity: 'warning',
      message: `${m[1]} ${m[3]} can hang the build: ${missing.join('; ')}`,
      fix: 'export DEBIAN_FRONTEND=noninteractive at the top of the script and pass -y',
      line: l.line,
      column: column(m.index),
    });
  }
  return findings;
};

const RULES: Rule[] = [literalPassword, pipeToShell, plainHttp, maskedInstall, noErrexit, aptInteractive];

/** Every rule id this module can report, for docs and `--disable` validation. */
export const SCRIPT_RULE_IDS = [
  'script/literal-password',
  'script/pipe-to-shell',
  'script/plain-http',
  'script/masked-install-failure',
  'script/no-errexit',
  'script/apt-interactive',
] as const;

export function checkScript(script: string): ScriptFinding[] {
  const lines = scriptLines(script);
  const disabledAt = new Map(lines.map((l) => [l.line, l.disabled]));
  return RULES.flatMap((rule) => rule(lines, { script }))
    .filter((f) => !disabledAt.get(f.line)?.has(f.rule))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}
