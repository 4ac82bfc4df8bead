import type { ConfigFile } from '../config/config.js';
import type { LocalImage } from '../providers/local/image-store.js';

export interface ListLocalOptions {
  config?: ConfigFile;
  template?: string;
  architecture?: string;
}

/** `prism ami list --provider local`: the images in the local store, newest first. */
export async function listLocalImages(options: ListLocalOptions = {}): Promise<LocalImage[]> {
  const [{ LocalImageStore }, { localSettings }] = await Promise.all([import('../providers/local/image-store.js'), import('../providers/local/local-settings.js')]);
  const store = new LocalImageStore(localSettings(options.config ?? {}).imageDir);
  return (await store.list()).filter(
    (i) => (!options.template || i.template === options.template) && (!options.architecture || i.architecture === options.architecture),
  );
}

