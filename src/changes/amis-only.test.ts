import { describe, expect, it } from 'vitest';
import { onlyAmisChanged } from './amis-only.js';

const base = 'name: "A"\n# the base\nbase_ami:\n  source: debian-12\n';
const amis = (id: string) => `amis:\n  # written by update-templates\n  us-east-1:\n    x86_64: ${id}\n`;

describe('onlyAmisChanged', () => {
  it('is true when only the amis: block changed, was added, or removed', () => {
    expect(onlyAmisChanged(base + amis('ami-0123456789abcdef0'), base + amis('ami-0fedcba9876543210'))).toBe(true);
    expect(onlyAmisChanged(base, base + amis('ami-0123456789abcdef0'))).toBe(true);
    expect(onlyAmisChanged(`${amis('ami-0123456789abcdef0')}${base}`, `${amis('ami-0fedcba9876543210')}${base}`)).toBe(true);
  });

  it('is false for any other change, a comment included, for no change, and for text that does not parse', () => {
    expect(
      onlyAmisChanged(base + amis('ami-0123456789abcdef0'), base.replace('debian-12', 'ubuntu-22.04-lts') + amis('ami-0fedcba9876543210')),
    ).toBe(false);
    expect(
      onlyAmisChanged(base + amis('ami-0123456789abcdef0'), base.replace('# the base', '# the new base') + amis('ami-0fedcba9876543210')),
    ).toBe(false);
    expect(onlyAmisChanged(base + amis('ami-0123456789abcdef0'), base + amis('ami-0123456789abcdef0'))).toBe(false);
    expect(onlyAmisChanged(base, `${base}amis: [oops\n`)).toBe(false);
    expect(onlyAmisChanged('- a list\n', '- a list\namis: {}\n')).toBe(false);
  });
});
