import type { SiteModel } from '../../actions/report-model.js';
import { templatePage } from './html.js';
import { indexPage } from './index-page.js';
import { templatePageHtml } from './template-page.js';
import { timelinePage } from './timeline-page.js';

/** Every page of the report, by path relative to the output folder. */
export function renderSite(m: SiteModel): Record<string, string> {
  const files: Record<string, string> = { 'index.html': indexPage(m), 'timeline.html': timelinePage(m) };
  for (const t of m.templates) files[decodeURIComponent(templatePage(t.slug))] = templatePageHtml(m, t);
  return files;
}
