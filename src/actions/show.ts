import { resolveSettings, type SettingsInput } from '../config/settings.js';
import { summarizeTemplate, type TemplateSummary } from '../template/describe.js';
import { libraryFor } from '../template/library.js';

/** `prism ami show`: the template after extends, with its slug and fingerprints. */
export async function show(ref: string, options: SettingsInput = {}): Promise<TemplateSummary> {
  const { library, slug } = libraryFor(ref, resolveSettings(options).templatesDir);
  const template = await library.resolve(slug);
  return summarizeTemplate(template, library.display(template.file));
}
