import { resolveSettings, type Settings, type SettingsInput } from '../config/settings.js';
import { systemClock } from '../core/clock.js';
import { errorMessage, PrismError } from '../core/errors.js';
import type { AwsClients } from '../core/aws-clients.js';
import { LOCAL_REGION, type RegistryDocument } from '../registry/model.js';
import { markDeleted } from '../registry/retire.js';
import { current, listImages } from '../registry/queries.js';
import type { RegistryStore } from '../registry/store.js';
import { withRegistry } from './registry-session.js';

export interface CleanupOptions extends SettingsInput {
  keepLatest: number;
  template?: string;
  dryRun?: boolean;
  /** Asked with the list of images to delete; false cancels (the CLI prompts, or --yes). */
  confirm: (toDelete: CleanupItem[]) => Promise<boolean>;
  awsClients?: AwsClients;
}

export interface CleanupItem extends Candidate {
  decision: 'delete' | 'keep';
  why: string;
  status?: 'deleted' | 'would-delete' | 'failed' | 'kept';
  error?: string;
}

export interface CleanupReport {
  items: CleanupItem[];
  confirmed: boolean;
}

interface Candidate {
  template: string;
  architecture: string;
  region: string;
  imageId: string;
  name?: string;
  created: string;
}

/**
 * `prism ami cleanup --keep-latest N`: per template, region and architecture keeps the current
 * image and the N newest besides it, any pinned in the config, and never one that something still uses
 * (an instance, a launch template, or locally a child image built on it); deletes the others
 * (deregister + snapshots, or the local layer) and marks them deleted in the registry.
 */
export async function cleanup(options: CleanupOptions): Promise<CleanupReport> {
  if (!Number.isInteger(options.keepLatest) || options.keepLatest < 0) {
    throw new PrismError('USAGE', '--keep-latest must be a whole number, 0 or more', {
      hint: 'the current image is always kept; --keep-latest 3 keeps the three newest besides it, 0 only the current one',
    });
  }
  const settings = resolveSettings(options);
  return withRegistry(settings, async (store) => {
    const doc = await store.read();
    const inventory = settings.provider === 'local' ? await localInventory(options, settings) : await awsInventory(options, settings, doc);
    const items = decide(inventory.candidates, doc, options.keepLatest, new Set(settings.pinnedImages), inventory.inUse);
    if (inventory.builtOn) keepParentsOfKept(items, inventory.builtOn);
    const toDelete = items.filter((i) => i.decision === 'delete');
    for (const item of items.filter((i) => i.decision === 'keep')) item.status = 'kept';
    if (options.dryRun || toDelete.length === 0) {
      for (const item of toDelete) item.status = 'would-delete';
      return { items, confirmed: false };
    }
    if (!(await options.confirm(toDelete))) {
      for (const item of toDelete) item.status = 'would-delete';
      return { items, confirmed: false };
    }
    for (const item of toDelete) {
      try {
        await inventory.remove(item);
        await markInRegistry(store, item);
        item.status = 'deleted';
      } catch (error) {
        item.status = 'failed';
        item.error = errorMessage(error);
      }
    }
    return { items, confirmed: true };
  });
}

function decide(
  candidates: Candidate[],
  doc: RegistryDocument,
  keep: number,
  pinned: ReadonlySet<string>,
  inUse: ReadonlyMap<string, string>,
): CleanupItem[] {
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const key = `${c.template}/${c.region}/${c.architecture}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const items: CleanupItem[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => b.created.localeCompare(a.created) || b.imageId.localeCompare(a.imageId));
    const head = sorted[0];
    const currentId = current(doc, {
      template: head.template,
      region: head.region,
      architecture: head.architecture as 'x86_64' | 'arm64',
    })?.ami_id;
    // The current image is always kept, and N more besides it: the N newest of the others.
    let newer = 0;
    for (const c of sorted) {
      const isCurrent = c.imageId === currentId;
      const recent = !isCurrent && newer++ < keep;
      const why = isCurrent
        ? 'the current image'
        : recent
          ? `one of the ${keep} newest besides the current one`
          : pinned.has(c.imageId)
            ? 'pinned in the config (pinnedImages)'
            : inUse.get(c.imageId);
      items.push({ ...c, decision: why ? 'keep' : 'delete', why: why ?? `older than the ${keep} newest besides the current one` });
    }
  }
  return items.sort(
    (a, b) =>
      a.template.localeCompare(b.template) ||
      a.region.localeCompare(b.region) ||
      a.architecture.localeCompare(b.architecture) ||
      b.created.localeCompare(a.created),
  );
}

/**
 * Locally, an image stays while an image that stays is built on it (its layer is under the
 * child's); one whose children all go now goes with them. Settled for chains of any length.
 */
function keepParentsOfKept(items: CleanupItem[], builtOn: ReadonlyMap<string, readonly { id: string; template: string }[]>): void {
  const byId = new Map(items.map((i) => [i.imageId, i]));
  for (let changed = true; changed;) {
    changed = false;
    for (const item of items) {
      if (item.decision !== 'delete') continue;
      // A child outside the candidates (another --template) stays.
      const child = builtOn.get(item.imageId)?.find((c) => byId.get(c.id)?.decision !== 'delete');
      if (child) {
        item.decision = 'keep';
        item.why = `image ${child.id} (${child.template}) is built on it`;
        changed = true;
      }
    }
  }
}

async function markInRegistry(store: RegistryStore, item: CleanupItem): Promise<void> {
  await store.update((doc) => {
    const known = listImages(doc, { template: item.template, all: true }).some((r) => r.entry.ami_id === item.imageId);
    return known
      ? markDeleted(doc, { template: item.template, amiId: item.imageId }, systemClock)
      : { document: doc, changed: false, result: [] };
  });
}

interface Inventory {
  candidates: Candidate[];
  inUse: Map<string, string>;
  /** Local images: the images built on each one. */
  builtOn?: Map<string, { id: string; template: string }[]>;
  remove(item: CleanupItem): Promise<void>;
}

/** Images in the registry (not deleted) and those tagged in EC2, per configured region. */
async function awsInventory(options: CleanupOptions, settings: Settings, doc: RegistryDocument): Promise<Inventory> {
  const [{ taggedImages, imagesInUse }, { deleteImage }, { AwsClients }] = await Promise.all([
    import('../providers/aws/image-usage.js'),
    import('../providers/aws/images.js'),
    import('../core/aws-clients.js'),
  ]);
  const clients = options.awsClients ?? new AwsClients();
  const registryRows = listImages(doc, { all: true, ...(options.template ? { template: options.template } : {}) }).filter(
    (r) => r.region !== LOCAL_REGION && r.entry.status !== 'deleted',
  );
  // --region (as a filter), else every region the settings and the registry know.
  const regions = options.region ? [options.region] : [...new Set([...settings.knownRegions, ...registryRows.map((r) => r.region)])];
  const byId = new Map<string, Candidate>();
  for (const r of registryRows) {
    if (regions.includes(r.region))
      byId.set(r.entry.ami_id, {
        template: r.template,
        architecture: r.architecture,
        region: r.region,
        imageId: r.entry.ami_id,
        created: r.entry.created,
      });
  }
  const existing = new Set<string>();
  for (const region of regions) {
    for (const image of await taggedImages(clients, region, options.template)) {
      existing.add(image.id);
      const known = byId.get(image.id);
      byId.set(image.id, {
        template: image.template,
        architecture: image.architecture,
        region,
        imageId: image.id,
        name: image.name,
        created: known?.created ?? image.created,
      });
    }
  }
  const candidates = [...byId.values()];
  const inUse = new Map<string, string>();
  for (const region of regions) {
    const ids = candidates.filter((c) => c.region === region && existing.has(c.imageId)).map((c) => c.imageId);
    for (const [id, why] of await imagesInUse(clients, region, ids)) inUse.set(id, why);
  }
  return {
    candidates,
    inUse,
    remove: async (item) => {
      const ec2 = await clients.ec2(item.region);
      await deleteImage(ec2, item.imageId, AbortSignal.timeout(30 * 60_000));
    },
  };
}

/** Images in the local store; one is in use when another image is built on it or a container runs on it. */
async function localInventory(options: CleanupOptions, settings: Settings): Promise<Inventory> {
  const [{ LocalImageStore }, { readFile }] = await Promise.all([import('../providers/local/image-store.js'), import('node:fs/promises')]);
  const store = new LocalImageStore(settings.local.imageDir);
  const all = await store.list();
  const images = all.filter((i) => !options.template || i.template === options.template);
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const inUse = new Map<string, string>();
  const builtOn = new Map<string, { id: string; template: string }[]>();
  for (const image of all) {
    const children = all.filter((i) => i.parentImage === image.id).map((i) => ({ id: i.id, template: i.template }));
    if (children.length > 0) builtOn.set(image.id, children);
    if (mounts.includes(store.layer(image.id))) inUse.set(image.id, 'a running container uses it');
  }
  return {
    candidates: images.map((i) => ({
      template: i.template,
      architecture: i.architecture,
      region: LOCAL_REGION,
      imageId: i.id,
      name: i.name,
      created: i.created,
    })),
    inUse,
    builtOn,
    remove: (item) => store.remove(item.imageId),
  };
}
