/**
 * The inspector's stylesheet and script, kept as strings in a TypeScript module so `tsc` ships
 * them in `dist/` with the rest of the package: no copy step, no bundler, no CDN, nothing built
 * at install time. Both are served from the sandbox itself (`routes.ts`), and the page's
 * Content-Security-Policy allows scripts and styles from there only.
 *
 * The script is progressive enhancement over pages that work without it: it refreshes the
 * regions marked `data-live` when the sandbox's event stream says something happened (keeping
 * keyboard focus where it was), swaps the trigger form's sample data when another event is
 * chosen, and checks that the data is a JSON object before the form is sent.
 */

export const inspectorCss = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1rem 2rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
pre { background: rgba(127,127,127,.12); padding: .75rem; overflow: auto; max-height: 32rem; white-space: pre-wrap; word-break: break-word; }
header { border-bottom: 1px solid rgba(127,127,127,.4); padding: .5rem 0; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
.brand { font-weight: 700; margin: 0; }
nav a { margin-right: 1rem; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
.clock { display: flex; flex-wrap: wrap; gap: .25rem .5rem; align-items: center; }
.clock p { margin: 0; }
.clock small { flex-basis: 100%; color: var(--muted); }
.live-status { margin: 0; color: var(--muted); min-height: 1.5em; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: Canvas; padding: .25rem .5rem; }
:focus-visible { outline: 3px solid Highlight; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid rgba(127,127,127,.25); vertical-align: top; }
table.headers th { font-weight: 600; white-space: nowrap; width: 1%; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 1rem 0; }
.state { font-weight: 600; padding: 0 .4rem; border-radius: .25rem; border: 1px solid currentColor; }
.state-delivered { color: var(--ok); }
.state-failing, .state-parked { color: var(--bad); }
.state-pending, .state-cancelled { color: var(--warn); }
.muted { color: var(--muted); }
.notice { border-left: 4px solid var(--ok); padding: .5rem .75rem; background: rgba(26,127,55,.08); }
.error { border-left: 4px solid var(--bad); padding: .25rem .75rem; background: rgba(207,34,46,.08); }
.error h2 { font-size: 1.05rem; }
.field-error { color: var(--bad); min-height: 1.5em; }
.attempts { list-style: none; padding-left: 0; }
.attempt { margin-bottom: 1rem; border-left: 4px solid var(--bad); padding-left: .75rem; }
.attempt.ok { border-color: var(--ok); }
.attempt h3 { margin: .25rem 0; font-size: 1rem; }
.diagnosis { border: 1px solid var(--bad); padding: .25rem .75rem; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
.summary dt { font-weight: 600; }
.summary dd { margin: 0; }
.webhook { border-top: 1px solid rgba(127,127,127,.4); padding-top: .5rem; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin: .5rem 0; }
form.inline { display: inline; }
textarea { width: 100%; font-family: ui-monospace, monospace; }
textarea[aria-invalid="true"] { border: 2px solid var(--bad); }
button { font: inherit; padding: .2rem .7rem; cursor: pointer; }
footer { margin-top: 2rem; color: var(--muted); }
`

export const inspectorJs = `
(function () {
  'use strict';
  var statusLine = document.getElementById('live-status');
  function say(text) { if (statusLine) statusLine.textContent = text; }

  // Live regions: refetch this page and swap every [data-live] region for its fresh copy.
  var streamUrl = document.body.getAttribute('data-stream');
  if (window.EventSource && streamUrl && document.querySelector('[data-live]')) {
    var busy = false;
    var again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) { if (text !== null) swap(text); })
        .catch(function () { say('Could not refresh; reload the page.'); })
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    };
    var swap = function (text) {
      var fresh = new DOMParser().parseFromString(text, 'text/html');
      var regions = document.querySelectorAll('[data-live]');
      for (var i = 0; i < regions.length; i++) {
        var region = regions[i];
        var next = region.id ? fresh.getElementById(region.id) : null;
        if (!next) continue;
        // Keep keyboard focus: find the focused element's twin (same id, or same link target).
        var active = document.activeElement;
        var key = null;
        if (active && region.contains(active)) {
          key = active.id ? '#' + CSS.escape(active.id)
            : active.getAttribute('href') ? 'a[href="' + CSS.escape(active.getAttribute('href')) + '"]'
            : null;
        }
        var imported = document.importNode(next, true);
        region.replaceWith(imported);
        if (key) {
          var twin = imported.querySelector(key);
          if (twin) twin.focus();
        }
      }
    };
    var source = new EventSource(streamUrl);
    // What happened between this page's rendering and the stream's (re)connection is caught up
    // once, on every open.
    source.addEventListener('open', function () {
      say('Live: this page updates as events and attempts happen.');
      refresh();
    });
    source.addEventListener('error', function () { say('Live updates paused; reconnecting…'); });
    source.addEventListener('event', function (message) {
      var event = JSON.parse(message.data);
      say('New event: ' + event.event + ' (' + event.id + ')');
      refresh();
    });
    source.addEventListener('attempt', function (message) {
      var activity = JSON.parse(message.data);
      var attempt = activity.attempt;
      var outcome = attempt.succeeded ? 'delivered' : (attempt.status_code ? 'HTTP ' + attempt.status_code : (attempt.error || 'no answer'));
      say(activity.event + ' to ' + activity.webhook_id + ': attempt ' + attempt.attempt + ', ' + outcome + (activity.parked ? ', parked' : ''));
      refresh();
    });
  }

  // Trigger form: swap in the chosen event's sample; refuse data that is not a JSON object.
  var form = document.getElementById('trigger-form');
  if (form) {
    var select = document.getElementById('trigger-event');
    var data = document.getElementById('trigger-data');
    var error = document.getElementById('trigger-data-error');
    var samplesBlock = document.getElementById('trigger-samples');
    var samples = samplesBlock ? JSON.parse(samplesBlock.textContent || '{}') : {};
    var load = document.getElementById('load-sample');
    if (load) load.hidden = true;
    var clearError = function () { error.textContent = ''; data.removeAttribute('aria-invalid'); };
    select.addEventListener('change', function () {
      if (Object.prototype.hasOwnProperty.call(samples, select.value)) data.value = samples[select.value];
      clearError();
    });
    data.addEventListener('input', clearError);
    form.addEventListener('submit', function (submit) {
      if (submit.submitter && submit.submitter.getAttribute('formmethod') === 'get') return;
      var problem = null;
      var text = data.value.trim();
      if (text !== '') {
        try {
          var parsed = JSON.parse(text);
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) problem = 'The data must be a JSON object, such as {"symbol": "AAPL"}.';
        } catch (e) {
          problem = 'The data is not valid JSON: ' + e.message;
        }
      }
      if (problem) {
        submit.preventDefault();
        error.textContent = problem;
        data.setAttribute('aria-invalid', 'true');
        data.focus();
      }
    });
  }
})();
`
