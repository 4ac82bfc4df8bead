import { summarizeTemplate, type TemplateSummary } from '../template/describe.js';
import { libraryFor } from '../template/library.js';

export interface ShowOptions {
  templatesDir?: string;
}

/** `prism ami show`: the template after extends, with its slug and fingerprints. */
export async function show(ref: string, options: ShowOptions = {}): Promise<TemplateSummary> {
  const { library, slug } = libraryFor(ref, options.templatesDir);
  const template = await library.resolve(slug);
  return summarizeTemplate(template, library.display(template.file));
}
