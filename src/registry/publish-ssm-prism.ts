import type { SSMClient } from '@aws-sdk/client-ssm';
import type { HistoryEntry, RegistryDocument, Slot } from './model.js';
import type { PublishedParameter } from './publish-ssm.js';
import { current } from './queries.js';

/**
 * The SSM layout Prism's launcher reads (scttfrdmn/prism pkg/ami/registry.go and
 * registry_versioning.go): `<prefix>/<template>/<region>/<arch>` and
 * `<prefix>/<template>/<region>/<arch>/version/<version>`, each holding the JSON of Prism's
 * `ami.Reference` (Go's field names, no JSON tags): AMIID, Region, Architecture, TemplateName,
 * Version, BuildDate (RFC 3339), Tags.
 *
 * Prism's GetLatestAMIByVersion takes the highest version under `…/version/` when there is one,
 * so only the current image's version is kept there: a rollback must win over a newer version.
 */

export function prismParameterName(prefix: string, slot: Slot): string {
  return `${prefix}/${slot.template}/${slot.region}/${slot.architecture}`;
}

/** SSM parameter names allow letters, digits and `_.-` in a path segment. */
const SEGMENT = /^[A-Za-z0-9_.-]+$/;

export function prismVersionParameterName(prefix: string, slot: Slot, version: string): string | undefined {
  return SEGMENT.test(version) ? `${prismParameterName(prefix, slot)}/version/${version}` : undefined;
}

/** An RFC 3339 time Go's time.Time reads; Go's zero time when the registry's is unreadable. */
function buildDate(created: string): string {
  const time = Date.parse(created);
  return Number.isNaN(time) ? '0001-01-01T00:00:00Z' : new Date(time).toISOString().replace(/\.000Z$/, 'Z');
}

/** The value of Prism's `ami.Reference` for an image, keys in the struct's order (as Go writes them). */
export function prismReference(slot: Slot, image: HistoryEntry): string {
  const tags: Record<string, string> = { ManagedBy: 'prism-ami', Validated: String(image.validated) };
  if (image.fingerprint) tags.Fingerprint = image.fingerprint;
  if (image.build_id) tags.BuildId = image.build_id;
  return JSON.stringify({
    AMIID: image.ami_id,
    Region: slot.region,
    Architecture: slot.architecture,
    TemplateName: slot.template,
    Version: image.version,
    BuildDate: buildDate(image.created),
    Tags: Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1))),
  });
}

/** Makes a slot's Prism parameters show the document's current image (or removes them). */
export async function reconcilePrismSlot(ssm: SSMClient, prefix: string, doc: RegistryDocument, slot: Slot): Promise<PublishedParameter[]> {
  const { DeleteParameterCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand } =
    await import('@aws-sdk/client-ssm');
  const image = current(doc, slot);
  const name = prismParameterName(prefix, slot);
  const value = image ? prismReference(slot, image) : undefined;
  const versionName = image ? prismVersionParameterName(prefix, slot, image.version) : undefined;
  const results: PublishedParameter[] = [];

  const existingVersions: string[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: `${name}/version/`, Recursive: true, NextToken: token }));
    for (const p of page.Parameters ?? []) if (p.Name) existingVersions.push(p.Name);
    token = page.NextToken;
  } while (token);

  const put = async (parameter: string, description: string): Promise<void> => {
    let actual: string | undefined;
    try {
      actual = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
    } catch (error) {
      if ((error as Error).name !== 'ParameterNotFound') throw error;
    }
    if (value === undefined) {
      if (actual !== undefined) {
        await ssm.send(new DeleteParameterCommand({ Name: parameter }));
        results.push({ region: slot.region, name: parameter, action: 'delete' });
      }
      return;
    }
    if (actual === value) {
      results.push({ region: slot.region, name: parameter, amiId: image!.ami_id, action: 'unchanged' });
      return;
    }
    const written = await ssm.send(
      new PutParameterCommand({ Name: parameter, Value: value, Type: 'String', Overwrite: true, Description: description }),
    );
    results.push({
      region: slot.region,
      name: parameter,
      amiId: image!.ami_id,
      action: 'put',
      ...(written.Version !== undefined ? { version: written.Version } : {}),
    });
  };

  await put(name, `prism-ami: current image of ${slot.template} ${slot.architecture} in ${slot.region} (Prism's layout)`);
  if (versionName) await put(versionName, `prism-ami: ${slot.template} version ${image!.version} (Prism's layout)`);
  for (const stale of existingVersions) {
    if (stale === versionName) continue;
    await ssm.send(new DeleteParameterCommand({ Name: stale })).catch((error: unknown) => {
      if ((error as Error).name !== 'ParameterNotFound') throw error;
    });
    results.push({ region: slot.region, name: stale, action: 'delete' });
  }
  if (value === undefined && results.length === 0) results.push({ region: slot.region, name, action: 'unchanged' });
  return results;
}
