import { STYLE } from './style.js';

/** Text for HTML: every page's values go through this. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return esc(v);
}

export interface PageOptions {
  title: string;
  /** `''` for pages at the top, `'../'` for templates/. */
  root: string;
  active: 'matrix' | 'timeline' | 'template';
  generatedAt: string;
  registry: string;
}

/** A whole page: inline CSS, no scripts, no external requests; links are relative (file:// and GitHub Pages). */
export function page(options: PageOptions, body: Html): string {
  const nav = (href: string, label: string, key: PageOptions['active']) =>
    html`<a href="${options.root}${href}" ${options.active === key ? new Html(' aria-current="page"') : ''}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(options.title)} · prism-ami</title>
<style>${STYLE}</style>
</head>
<body>
${
  html`<header class="top">
      <div class="wrap">
        <span class="brand">prism-ami images</span>
        <nav>${nav('index.html', 'Matrix', 'matrix')}${nav('timeline.html', 'Timeline', 'timeline')}</nav>
      </div>
    </header>
    <main class="wrap">${body}</main>
    <footer class="wrap">Generated ${options.generatedAt} from <code>${options.registry}</code> by <code>prism ami report</code>.</footer>`
    .text
}
</body>
</html>
`;
}

/** "3 days", "5 months" */
export function age(days: number | undefined): string {
  if (days === undefined) return '';
  if (days < 1) return 'today';
  if (days < 60) return `${days} day${days === 1 ? '' : 's'}`;
  if (days < 730) return `${Math.round(days / 30)} months`;
  return `${Math.round(days / 365)} years`;
}

export function usd(value: number): string {
  return value === 0 ? '$0' : value < 0.01 ? '<$0.01' : `$${value.toFixed(2)}`;
}

export function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

export function short(digest: string | undefined): string {
  return digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '';
}

export function templatePage(slug: string): string {
  return `templates/${encodeURIComponent(slug)}.html`;
}

/** A table in a card: one header row of `heads` (text or markup), then `rows`. */
export function cardTable(heads: (string | Html)[], rows: Html[], className?: string): Html {
  return html`<div class="card">
    <table${className ? html` class="${className}"` : ''}>
      <thead>
        <tr>
          ${heads.map((h) => html`<th>${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
