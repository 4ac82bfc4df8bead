import type { Command } from 'commander';
import type { DiffReport, ManifestImage } from '../../actions/manifest.js';
import type { ReportSiteResult } from '../../actions/report.js';
import { PrismError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { countFlag, requiredFlag } from '../flags.js';
import { registerRegistryVerb } from '../registry-verb.js';

/** manifest, diff and report: what is in the images, and how that changed. */
export function registerManifestVerbs(ami: Command, ctx: CliContext): void {
  registerRegistryVerb<string, object, ManifestImage>(ami, ctx, {
    name: 'manifest',
    description:
      'what is in an image: OS release, kernel, every system package with version and architecture, Python, conda and R packages ("not recorded" for images from before manifests)',
    arg: ['<image>', 'an image ID, a template (its current image with --region/--architecture) or template@version'],
    slot: 'optional',
    json: 'print the image and its manifest as JSON',
    run: async (image, _flags, input) => {
      const { showManifest } = await import('../../actions/manifest.js');
      return showManifest({ ...input, ...input.slot, image });
    },
    human: async (r) => (await import('../../render/manifest-report.js')).formatManifest(r),
  });

  registerRegistryVerb<string[], object, DiffReport>(ami, ctx, {
    name: 'diff',
    description:
      'the packages added, removed and changed (old → new) from image A to image B, by ecosystem; images of different templates are compared too',
    arg: ['<images...>', 'two images: image IDs, templates or template@version'],
    slot: 'optional',
    json: 'print the two images and the differences as JSON',
    run: async (images, _flags, input) => {
      if (images.length !== 2) {
        throw new PrismError('USAGE', `diff compares two images; ${images.length} were given`, {
          hint: 'prism ami diff hello-web@1.0.0 hello-web@1.1.0 (or two image IDs)',
        });
      }
      const { diffImages } = await import('../../actions/manifest.js');
      return diffImages({ ...input, ...input.slot, a: images[0], b: images[1] });
    },
    human: async (r) => (await import('../../render/manifest-report.js')).formatDiff(r),
  });

  registerRegistryVerb<undefined, { out?: string; staleDays?: string }, ReportSiteResult>(ami, ctx, {
    name: 'report',
    description:
      'write a static HTML report of the registry (templates × regions × architectures, ages, validation, drift, snapshot cost, history, package diffs, timeline) to --out',
    options: (c) =>
      c
        .option('--out <dir>', 'the folder to write the site to (created; its index.html and templates/ are replaced)')
        .option('--stale-days <n>', 'an image older than this many days is marked stale (default 30)'),
    json: 'print the pages written as JSON',
    run: async (_arg, flags, input) => {
      const { reportModel, writeSite } = await import('../../actions/report.js');
      const { renderSite } = await import('../../render/report-site/site.js');
      const out = requiredFlag(flags.out, '--out', 'e.g. --out ami-report');
      const staleDays = flags.staleDays === undefined ? undefined : countFlag('--stale-days', flags.staleDays, { min: 1, max: 3650 });
      return writeSite(out, renderSite(await reportModel({ ...input, ...(staleDays !== undefined ? { staleDays } : {}) })));
    },
    human: (r) => `Wrote ${r.pages.length} pages to ${r.out}\n   Open ${r.index}\n`,
  });
}
