/** The site's one stylesheet, inlined into every page (no CDN, no web fonts). */
export const STYLE = `
:root{--ink:#1d2330;--muted:#5d6678;--line:#dde2ea;--bg:#f5f7fa;--card:#fff;--ok:#17784a;--ok-bg:#e3f5eb;--warn:#8a5a00;--warn-bg:#fff2d6;--bad:#a32020;--bad-bg:#fde6e6;--info:#5332a8;--info-bg:#eee8fd;--link:#1f5fbf}
*{box-sizing:border-box}
html{font-size:15px}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg);line-height:1.45}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.88em}
.wrap{max-width:1240px;margin:0 auto;padding:0 20px}
header.top{background:#1d2330;color:#fff}
header.top .wrap{display:flex;align-items:center;gap:28px;height:48px}
.brand{font-weight:650;letter-spacing:.2px}
header.top nav a{color:#c9d3e6;margin-right:18px;padding:13px 0;border-bottom:3px solid transparent}
header.top nav a[aria-current=page]{color:#fff;border-bottom-color:#6ea8ff}
h1{font-size:1.55rem;margin:22px 0 4px}
h2{font-size:1.18rem;margin:26px 0 10px}
h3{font-size:1rem;margin:18px 0 8px}
p.lede{color:var(--muted);margin:0 0 16px}
.summary{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0 18px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}
.stat b{display:block;font-size:1.3rem}
.stat span{color:var(--muted);font-size:.85rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:auto;margin-bottom:18px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-bottom:1px solid var(--line)}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:#fafbfd;position:sticky;top:0}
tr:last-child td,td.tpl.last{border-bottom:0}
td.tpl{font-weight:600;white-space:nowrap}
td.tpl small{display:block;font-weight:400;color:var(--muted);max-width:230px;white-space:normal}
td.cell{min-width:190px}
td.cell.stale{background:#fffaf0;box-shadow:inset 4px 0 0 #e0a100}
td.cell.bad{background:#fff6f6;box-shadow:inset 4px 0 0 #d33}
td.cell.empty{color:#a0a8b8}
.img{font-weight:600}
.meta{color:var(--muted);font-size:.85rem}
.badge{display:inline-block;font-size:.74rem;font-weight:600;border-radius:999px;padding:1px 8px;margin:3px 4px 0 0;white-space:nowrap}
.b-ok{color:var(--ok);background:var(--ok-bg)}
.b-warn{color:var(--warn);background:var(--warn-bg)}
.b-bad{color:var(--bad);background:var(--bad-bg)}
.b-info{color:var(--info);background:var(--info-bg)}
.b-muted{color:var(--muted);background:#eef0f4}
.legend{color:var(--muted);font-size:.85rem;margin:-6px 0 18px}
.diff h4{margin:12px 0 6px;font-size:.92rem}
.diff table{table-layout:fixed}.diff table td{padding:4px 10px}.diff td:first-child{width:90px}.diff td.pkg{width:38%;overflow-wrap:anywhere}
.toc{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0 4px}.toc a{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:3px 10px;font-size:.88rem}
.add{color:var(--ok)}.rem{color:var(--bad)}.chg{color:var(--warn)}
.arrow{color:var(--muted);padding:0 6px}
details{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:0 0 12px;padding:0 14px}
details summary{cursor:pointer;padding:10px 0;font-weight:600}
details[open] summary{border-bottom:1px solid var(--line);margin-bottom:8px}
.timeline{list-style:none;margin:0;padding:0}
.timeline li{display:grid;grid-template-columns:170px 1fr;gap:14px;padding:9px 14px;border-bottom:1px solid var(--line)}
.timeline li:last-child{border-bottom:0}
.month{font-weight:650;margin:22px 0 8px}
footer{color:var(--muted);font-size:.8rem;padding:24px 20px 40px}
`;
