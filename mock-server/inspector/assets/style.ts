/**
 * The inspector's stylesheet, kept as a string in a TypeScript module so `tsc` ships it in `dist/`
 * with the rest of the package: no copy step, no bundler, no CDN. Served from the sandbox itself
 * (`routes.ts`); the page's Content-Security-Policy allows styles from there only.
 *
 * Colours are set for both themes (light, and dark under `prefers-color-scheme: dark`) with a
 * contrast of at least 4.5:1 for text; long names are cut with an ellipsis (whole on hover), long
 * ids and bodies wrap, so no page is wider than the screen from 360 px up.
 */
export const inspectorCss = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa;
  --link: #0969da; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700;
  --ok-bg: #dafbe1; --bad-bg: #ffebe9; --select: #ddf4ff;
  --button: #f6f8fa; --button-fg: #1f2328; --primary: #1a7f37; --danger: #cf222e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #3d444d; --soft: #161b22;
    --link: #58a6ff; --ok: #3fb950; --bad: #ff7b72; --warn: #d29922;
    --ok-bg: #12261e; --bad-bg: #2d1517; --select: #12233a;
    --button: #21262d; --button-fg: #e6edf3; --primary: #238636; --danger: #b62324;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { background: var(--bg); color: var(--fg); }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1600px; padding: 0 1rem 2rem; background: var(--bg); color: var(--fg); overflow-wrap: anywhere; }
a { color: var(--link); }
code, pre, textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
pre { background: var(--soft); border: 1px solid var(--line); padding: .75rem; overflow: auto; max-height: 28rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: .5rem 0; }
h1 { font-size: 1.5rem; margin: 1rem 0 .5rem; }
h2 { font-size: 1.15rem; }
h3 { font-size: 1rem; }
.top { border-bottom: 1px solid var(--line); padding: .5rem 0; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
.brand { font-weight: 700; margin: 0; }
nav a { margin-right: 1rem; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
.clock { display: flex; flex-wrap: wrap; gap: .25rem .5rem; align-items: center; }
.clock p { margin: 0; }
.clock small { flex-basis: 100%; color: var(--muted); }
.live-status { margin: 0; color: var(--muted); min-height: 1.5em; flex-basis: 100%; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
input, select, textarea { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--muted); border-radius: 4px; padding: .15rem .35rem; max-width: 100%; }
button, .button { font: inherit; padding: .2rem .7rem; cursor: pointer; color: var(--button-fg); background: var(--button); border: 1px solid var(--line); border-radius: 6px; text-decoration: none; display: inline-block; }
button.primary, .button.primary { background: var(--primary); color: #ffffff; border-color: var(--primary); }
button.danger { background: var(--danger); color: #ffffff; border-color: var(--danger); }
button:disabled { cursor: not-allowed; opacity: .55; }
button.copy { font-size: .8rem; padding: 0 .45rem; }
.ellipsis { display: inline-block; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.url-text { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.table-scroll { overflow-x: auto; }
table.headers { table-layout: fixed; }
table.headers th { font-weight: 600; width: 11rem; word-break: break-all; }
table.headers td { word-break: break-all; }
.filters { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: end; margin: .5rem 0 1rem; }
.filters p { margin: 0; display: flex; flex-direction: column; min-width: 0; max-width: 100%; }
.filters p:last-child { flex-direction: row; gap: .75rem; align-items: center; }
.split { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem 1.5rem; }
@media (min-width: 1000px) { .split { grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); } }
@media (max-width: 999px) { .split.has-selection .delivery { order: -1; } }
.feed-title { margin-top: 0; }
.rows { list-style: none; margin: 0; padding: 0; border-top: 1px solid var(--line); }
.row { border-bottom: 1px solid var(--line); }
.row-link { display: flex; flex-direction: column; gap: .1rem; padding: .4rem .5rem; color: var(--fg); text-decoration: none; border-left: 4px solid transparent; }
.row-link:hover { background: var(--soft); }
.row.selected .row-link { background: var(--select); border-left-color: var(--link); }
.row-main { display: flex; gap: .75rem; min-width: 0; align-items: baseline; }
.row-event { font-weight: 600; min-width: 0; max-width: 60%; }
.row-endpoint { min-width: 0; flex: 1; color: var(--muted); }
.row-meta { display: flex; flex-wrap: wrap; gap: .2rem .75rem; align-items: baseline; font-size: .9em; }
.row-meta time { color: var(--muted); margin-left: auto; }
.row-answer { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; justify-content: space-between; padding: .5rem 0; }
.delivery { min-width: 0; }
.delivery.placeholder { border: 1px dashed var(--line); padding: 1rem; }
.delivery-title { margin-top: 0; display: flex; gap: .4rem; min-width: 0; align-items: baseline; }
.state { font-weight: 600; padding: 0 .4rem; border-radius: .25rem; border: 1px solid currentColor; white-space: nowrap; }
.state-delivered { color: var(--ok); }
.state-failing, .state-parked { color: var(--bad); }
.state-pending, .state-cancelled { color: var(--warn); }
.badge { font-size: .8rem; font-weight: 600; padding: 0 .4rem; border-radius: 1rem; border: 1px solid currentColor; }
.badge-on { color: var(--ok); }
.badge-off { color: var(--warn); }
.muted { color: var(--muted); }
.notice { border-left: 4px solid var(--ok); padding: .5rem .75rem; background: var(--ok-bg); }
.error { border-left: 4px solid var(--bad); padding: .25rem .75rem; background: var(--bad-bg); }
.error h2 { font-size: 1.05rem; }
.field-error { color: var(--bad); margin: .25rem 0; }
#trigger-data-error:empty { min-height: 1.5em; }
[aria-invalid="true"] { border: 2px solid var(--bad); }
.attempts { list-style: none; padding-left: 0; }
.attempt { margin-bottom: 1rem; border-left: 4px solid var(--bad); padding-left: .75rem; }
.attempt.ok { border-color: var(--ok); }
.attempt h3 { margin: .25rem 0; }
.attempt p { margin: .25rem 0; }
.count { font-weight: 700; color: var(--bad); }
.diagnosis { border: 1px solid var(--bad); padding: .25rem .75rem; margin: .5rem 0; }
.diff-added { color: var(--ok); display: block; }
.diff-removed { color: var(--bad); display: block; text-decoration: line-through; }
.diff-same { display: block; }
.summary { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .25rem 1rem; }
.summary dt { font-weight: 600; }
.summary dd { margin: 0; min-width: 0; }
.id code { overflow-wrap: anywhere; }
.grace { margin: .25rem 0; color: var(--muted); }
.page-head { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; }
.webhook { border-top: 1px solid var(--line); padding-top: .5rem; margin-bottom: 1rem; }
.webhook-title { display: flex; gap: .5rem; align-items: baseline; min-width: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem .9rem; align-items: center; margin: .5rem 0; }
form.inline { display: inline-flex; flex-wrap: wrap; gap: .3rem; align-items: center; }
.webhook-form p { display: flex; flex-direction: column; gap: .2rem; max-width: 48rem; }
.webhook-form p:last-child { flex-direction: row; gap: 1rem; align-items: center; }
.events-choice { border: 1px solid var(--line); max-width: 60rem; }
.events-choice p { flex-direction: row; }
.event-groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .5rem 1rem; }
.event-group ul { list-style: none; margin: 0; padding-left: 1.25rem; }
.check { display: inline-flex; gap: .35rem; align-items: baseline; }
textarea { width: 100%; }
footer { margin-top: 2rem; color: var(--muted); }
`
