import { readFile } from 'node:fs/promises';
import { PrismError } from '../../core/errors.js';
import type { Architecture } from '../../core/types.js';
import type { Template } from '../../template/model.js';

/**
 * The SSM agent on bases that ship without it. Ubuntu's and Amazon Linux's AMIs have the agent
 * (a snap on Ubuntu, a package on Amazon Linux); Debian's have none, so a build launched from
 * one would wait for an agent that never comes. Those builds get user data that installs it at
 * the first boot: the architecture's .deb from the region's official agent bucket, checked
 * against AWS's signature before it is installed, then enabled and started.
 */
export const DEFAULT_AGENT_URL = 'https://s3.{region}.amazonaws.com/amazon-ssm-{region}/latest/debian_{arch}/amazon-ssm-agent.deb';

/**
 * AWS's SSM Agent signing key ("SSM Agent <ssm-agent-signer@amazon.com>", fingerprint
 * DE92 C7DA 3E56 E923 31D6 2A36 BC1F 495C 97DD 04ED, created 2023-08-28), as published at
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/verify-agent-signature.html and in
 * aws/amazon-ssm-agent (Tools/src/setupcli_data_integrity_linux.sh), in binary form for gpgv.
 * When AWS signs with a new key, set `ssmAgentKeyFile` to it (docs/aws.md).
 */
const AWS_AGENT_KEY = [
  'mQENBGTtIoIBCAD2M1aoGIE0FXynAHM/jtuvdAVVaX3Q4ZejTqrX+Jq8ElAMhxyOGzHu2CDtCYxtVxXK3unptLVt2kGgJwNbhYC3',
  '93jDeZx5dCda4Nk2YXX1UK3P461iaxuuXRzMYvfM4RZn+7bJTu635tA07q9Xm6MGD4TCTvsjBfViOxbrxOg5ozWbJdSwfSR8MwUr',
  'RfmFpAefRlYfCEuZ8FHywa9U6jLeWt2O/kqrZliJOAGjGzXtB7EZkqKbfaCCxikjjvhF1awdEqSK4DQorC/OvQc4I5kP5y2CJbtX',
  'vXO73QH2yE75JMDIIx9xrOsIRUoSfK3UrWaOVuAnEEn5ueKzZNqGG1J1ABEBAAG0J1NTTSBBZ2VudCA8c3NtLWFnZW50LXNpZ25l',
  'ckBhbWF6b24uY29tPokBPwQTAQIAKQUCZO0iggIbLwUJAsaYgAcLCQgHAwIBBhUIAgkKCwQWAgMBAh4BAheAAAoJELwfSVyX3QTt',
  '+icH/A//tJsWI+7Ay8FGJh8dJPNy++HIBjVSFdGNJFWNbw1Z8uZcazHEcUCH3FhW4CLQLTZ3OVPzqvFwzDtRDVIN/Y9EGDhLMFvi',
  'mrE+/z4olWsJ5DANf6BnX8I5UNIcRt5d8SWH1BEJ2FWIBZFgKyTDI6XzRC5x4ahtgpOVAGeeKDehs+wh6Ga4W0/K4GsviP1Kyr+I',
  'c2brNAIq0q0IHyN1q9zam3Y0+jKwEuNmTj+Bjyzshyv/X8S0JWWoXJhkexkOvWeBYNNt5wI4QcSteyfIzp6KlQF8q11Hzz9D9WaP',
  'fcBEYyhq7vLEARobkbQMBzpkmaZua2410RaWG50HRvrgm4aJAhwEEAECAAYFAmTtIoMACgkQfdCXo9rX9fwwqBAAzkTgYJ38sWgx',
  'pn7Ux/81F2BWR1sVkmP79i++fXyJlKI8xtcJFQZhzeUos69KBUCy7mgx5bYUP7NA5o9DUbwz/QS0i1Cqm4+jtFlX0MXe4FikXcqf',
  'DPnnzN8mVB2H+fa43iHR1PuHGgUWuNdxzSoIYRmLZXWmeN5YXPcmixlhLzcE2TOQn1mOKcu2fKdLtBQ8KiEkmjiunaoLxnUcyk1z',
  'Mhaha+LzEkQdOyasix0ggylN2ViWVnlmfy0niuXDxW0qZWPdLStFOODiX3iqGmkH3rDfy6nvxxBR4GIs+MGD72fpWzzrINDgkGI2',
  'i2t1+0AX/mps3aTy+ftlgrim8stYWB58XXDAb0vad06sNye5/zDzfr0I9HupJrTzFhaYJQjWPaSlINtoLDJnBXohiUIPRYRcy/k0',
  '12oFHDWZHT3H6CyjK9UD5UlxA9H7dsJurANs6FOVRe+734uJyxDZ/W7zLG4AVG0zxibrUSoaJxwcOjVPVsQAlrwG/GTs7tcAccsJ',
  'qbJ1Py/w9AgJl8VU2qc8POsHNXk348gjP7C8PDnGMpZFzr9f5INctRushpiv7onX+aWJVX7Tn2uX/TP3LCyH/MsrNJrJOQnMYFRL',
  'QitciP0E+F+eA3v9CY6mDuyb8JSx5HuGGUsGS4bKBOcA8vimEpwPoT8CE7fdsZ3Qkwdu+pw=',
].join('');

export const AWS_AGENT_KEY_FINGERPRINT = 'DE92C7DA3E56E92331D62A36BC1F495C97DD04ED';

/** Where the agent is known to be missing: Debian's AMIs (an alias, or Debian's owner in a filter). */
export function agentMissing(template: Template): boolean {
  // A child starts from its parent's image, which got the agent when the parent was built.
  if (template.parent) return false;
  const base = template.base;
  if (base.kind === 'alias') return base.alias.startsWith('debian-');
  if (base.kind === 'filter') return base.owners.includes('136693071363');
  return false;
}

export interface AgentSource {
  /** The package URL, with {region} and {arch} (amd64, arm64); its signature is at `<url>.sig`. */
  url?: string;
  /** A public key (armored or binary) to trust instead of AWS's, e.g. for a private mirror. */
  keyFile?: string;
  /** Where the script logs (tests run it on the host). */
  logDir?: string;
}

const DEB_ARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

/**
 * The user data (a shell script, run once by cloud-init at the first boot) that installs,
 * enables and starts the agent. Each stage is reported on the serial console, so a failure shows
 * in `aws ec2 get-console-output`, and logged to /var/log/prism-ami/agent-bootstrap.log.
 */
export async function agentUserData(region: string, architecture: Architecture, source: AgentSource = {}): Promise<string> {
  const url = (source.url ?? DEFAULT_AGENT_URL).replaceAll('{region}', region).replaceAll('{arch}', DEB_ARCH[architecture]);
  const key = source.keyFile ? await keyFromFile(source.keyFile) : AWS_AGENT_KEY;
  const logDir = source.logDir ?? '/var/log/prism-ami';
  return `#!/bin/sh
# prism-ami: install the SSM agent (this base image ships none)
mkdir -p ${logDir}
exec >> ${logDir}/agent-bootstrap.log 2>&1
say() { echo "prism-ami agent bootstrap: $*"; echo "prism-ami agent bootstrap: $*" > /dev/console 2>/dev/null || true; }
fail() { say "FAILED: $*"; exit 1; }
if command -v amazon-ssm-agent >/dev/null 2>&1; then say "the agent is installed already"; systemctl enable --now amazon-ssm-agent; exit 0; fi
work=$(mktemp -d)
fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 5 --retry-connrefused --retry-delay 2 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q --tries=5 -O "$2" "$1"
  else fail "neither curl nor wget is installed"; fi
}
say "downloading ${url}"
fetch '${url}' "$work/agent.deb" || fail "could not download ${url}"
fetch '${url}.sig' "$work/agent.deb.sig" || fail "could not download ${url}.sig"
printf '%s' '${key}' | base64 -d > "$work/key.gpg"
gpgv --keyring "$work/key.gpg" "$work/agent.deb.sig" "$work/agent.deb" || fail "the signature of ${url} does not verify against the trusted key"
dpkg -i "$work/agent.deb" || fail "dpkg -i of the agent package failed"
{ systemctl enable amazon-ssm-agent && systemctl restart amazon-ssm-agent; } || fail "the agent did not start"
rm -rf "$work"
say "the agent is installed and running"
`;
}

/** A key file (armored or binary) as base64 of its binary form. */
async function keyFromFile(file: string): Promise<string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    throw new PrismError('CONFIG_INVALID', `cannot read the SSM agent key ${file}: ${(error as Error).message}`, {
      hint: 'ssmAgentKeyFile (or PRISM_AMI_SSM_AGENT_KEY) must name a public key file',
    });
  }
  const text = data.toString('latin1');
  const begin = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
  if (!text.includes(begin)) return data.toString('base64');
  // Armored: the base64 lines between the headers (and their blank line) and the checksum.
  const body = text.split(begin)[1].split('-----END PGP PUBLIC KEY BLOCK-----')[0];
  const [, ...afterHeaders] = body.split(/\r?\n\r?\n/);
  return afterHeaders
    .join('\n')
    .split(/\r?\n/)
    .filter((line) => line.trim() && !line.startsWith('='))
    .join('');
}
