import { resolveSettings, type SettingsInput } from '../config/settings.js';
import type { LocalImage } from '../providers/local/image-store.js';

export interface ListLocalOptions extends SettingsInput {
  template?: string;
  architecture?: string;
}

/** `prism ami list --provider local`: the images in the local store, newest first. */
export async function listLocalImages(options: ListLocalOptions = {}): Promise<LocalImage[]> {
  const { LocalImageStore } = await import('../providers/local/image-store.js');
  const store = new LocalImageStore(resolveSettings(options).local.imageDir);
  return (await store.list()).filter(
    (i) => (!options.template || i.template === options.template) && (!options.architecture || i.architecture === options.architecture),
  );
}
