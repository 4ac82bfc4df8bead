import type { SettingsInput } from '../config/settings.js';
import type { Architecture } from '../core/types.js';
import { checkArchitecture, checkImageId, checkRegion } from '../registry/input-checks.js';
import { LOCAL_REGION, type Slot } from '../registry/model.js';
import type { RecordOutcome } from '../registry/operations.js';
import type { PublishedParameter } from '../registry/publish-ssm.js';
import { recordBuildImage } from '../registry/record-build.js';
import { PrismError } from '../core/errors.js';
import { libraryFor } from '../template/library.js';
import type { Template } from '../template/model.js';
import { findBuiltImage, type TaggedImage } from './find-built-image.js';
import { registrySession, withAwsClients, withPublisher } from './registry-session.js';
import { folderSlugs } from './template-names.js';

export interface UpdateRegistryOptions extends SettingsInput {
  template: string;
  region: string;
  architecture: Architecture;
  /** The image to record; default: the newest one tagged for the template and architecture. */
  amiId?: string;
  /** The version recorded when the image has no prism:version tag (default: the template's). */
  version?: string;
}

export interface UpdateRegistryReport extends Slot {
  amiId: string;
  version: string;
  validated: boolean;
  outcome: RecordOutcome;
  published: PublishedParameter[];
}

/**
 * `prism ami update-registry`: records an existing image (as the seed's CI step does after a
 * build): the one named with --ami, or the newest available one with the template's build tags.
 */
export async function updateRegistry(options: UpdateRegistryOptions): Promise<UpdateRegistryReport> {
  const region = checkRegion(options.region);
  if (region === LOCAL_REGION)
    throw new PrismError('USAGE', 'update-registry looks images up in an AWS region; local builds are recorded by the build itself', {
      hint: 'use an AWS region name',
    });
  const architecture = checkArchitecture(options.architecture);
  if (options.amiId !== undefined) checkImageId(options.amiId, region);
  return registrySession(options, async ({ settings, store, known }) => {
    const slug = await known(options.template);
    const template = await loadIfPresent(slug, settings.templatesDir);
    const image: TaggedImage = await withAwsClients(async (clients) =>
      findBuiltImage(await clients.ec2(region), {
        template: slug,
        architecture,
        region,
        ...(options.amiId ? { amiId: options.amiId } : {}),
      }),
    );
    const version = image.version ?? options.version ?? template?.version ?? 'unknown';
    return withPublisher(settings, async (publisher) => {
      const outcome = await recordBuildImage(
        store,
        {
          template: template ?? slug,
          region,
          architecture,
          imageId: image.imageId,
          created: image.created,
          version,
          validated: image.validated,
          ...(image.fingerprint ? { fingerprint: image.fingerprint } : {}),
          ...(image.sourceImage ? { sourceImage: image.sourceImage } : {}),
          ...(image.buildId ? { buildId: image.buildId } : {}),
          ...(image.validatedAt ? { validatedAt: image.validatedAt } : {}),
          ...(image.sizeGb !== undefined ? { sizeGb: image.sizeGb } : {}),
        },
        publisher ? { publisher } : {},
      );
      return {
        template: slug,
        region,
        architecture,
        amiId: image.imageId,
        version,
        validated: image.validated,
        outcome: outcome.result,
        published: outcome.published,
      };
    });
  });
}

/** The template from the templates folder (for its description, ports and costs), if it is there. */
async function loadIfPresent(slug: string, templatesDir: string): Promise<Template | undefined> {
  if (!(await folderSlugs(templatesDir)).includes(slug)) return undefined;
  const { library } = libraryFor(slug, templatesDir);
  return library.resolve(slug);
}
