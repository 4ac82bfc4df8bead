import { describe, expect, it } from 'vitest';
import type { SiteModel } from '../../actions/report-model.js';
import { renderSite } from './site.js';

const hostile = '<script>alert(1)</script>"\'&';

function model(): SiteModel {
  const entry = {
    ami_id: 'ami-0123456789abcdef0',
    created: '2024-06-17T08:30:00Z',
    version: `1 ${hostile}`,
    validated: true,
    status: 'current' as const,
  };
  return {
    generatedAt: '2024-06-18T00:00:00Z',
    registry: `file:/tmp/${hostile}.json`,
    staleDays: 30,
    snapshotPerGbMonth: 0.05,
    regions: ['us-east-1'],
    architectures: ['x86_64'],
    templates: [
      {
        slug: 'demo',
        description: hostile,
        hasTemplateFile: true,
        slots: [
          {
            region: 'us-east-1',
            architecture: 'x86_64',
            current: entry,
            ageDays: 1,
            stale: [],
            history: [entry],
            revoked: 0,
            failed: 0,
            monthlyCost: 0.4,
            changes: [],
          },
        ],
      },
    ],
    timeline: [{ template: 'demo', region: 'us-east-1', architecture: 'x86_64', entry }],
    totalMonthlyCost: 0.4,
  };
}

describe('renderSite', () => {
  it('writes the matrix, the timeline and a page per template', () => {
    expect(Object.keys(renderSite(model())).sort()).toEqual(['index.html', 'templates/demo.html', 'timeline.html']);
  });

  it('escapes every value from the registry: a description or version cannot add markup', () => {
    for (const [path, html] of Object.entries(renderSite(model()))) {
      expect(html, path).not.toContain('<script');
      expect(html, path).toContain('&lt;script&gt;');
    }
  });

  it('needs nothing from the network: inline CSS, no scripts, no external URLs, a CSP that forbids them', () => {
    for (const [path, html] of Object.entries(renderSite(model()))) {
      expect(html, path).toContain('<style>');
      expect(html, path).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//);
      expect(html, path).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    }
    expect(renderSite(model())['templates/demo.html']).toContain('href="../index.html"');
  });
});
