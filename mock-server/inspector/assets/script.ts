/**
 * The inspector's script: progressive enhancement over pages that work without it. It
 *
 * - keeps the page live: the regions marked `data-live` are refetched and swapped (keeping keyboard
 *   focus) when the sandbox's stream says something happened. One stream per browser profile, shared
 *   by its tabs: through a SharedWorker (assets/live-worker.ts); where there is none, one tab is
 *   elected leader with a Web Lock and relays the frames to the others on a BroadcastChannel; with
 *   neither, each tab has its own EventSource;
 * - shows times in the browser's zone next to the relative time (exact UTC stays on hover);
 * - turns on the copy buttons;
 * - on the trigger form: swaps in the chosen event's sample and list of receiving webhooks, and
 *   checks that the data is a JSON object before the form is sent.
 */
export const inspectorJs = `
(function () {
  'use strict';
  var statusLine = document.getElementById('live-status');
  function say(text) { if (statusLine) statusLine.textContent = text; }
  var pad = function (n) { return (n < 10 ? '0' : '') + n; };

  // Times: "2 min ago" (from the server, relative to the sandbox clock) plus the local time.
  function localTimes(root) {
    var now = Number(document.body.getAttribute('data-now')) || Date.now();
    var today = new Date(now).toDateString();
    var times = root.querySelectorAll('main time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      if (el.getAttribute('data-local')) continue;
      var at = new Date(el.getAttribute('datetime'));
      if (isNaN(at.getTime())) continue;
      var clock = pad(at.getHours()) + ':' + pad(at.getMinutes()) + ':' + pad(at.getSeconds());
      var local = at.toDateString() === today ? clock : at.getFullYear() + '-' + pad(at.getMonth() + 1) + '-' + pad(at.getDate()) + ' ' + clock;
      el.setAttribute('data-local', local);
      el.textContent = el.textContent + ' · ' + local;
    }
  }

  // Copy buttons: hidden without JavaScript, where the text itself is on the page to select.
  // What was copied is remembered by its text, not by its button: a live refresh replaces the
  // buttons, and the new one keeps the data-copied mark (and "Copied" for the rest of its 1.5 s).
  var copiedAt = {};
  var COPIED_MS = 1500;
  function showCopied(button) {
    var at = copiedAt[button.getAttribute('data-copy')];
    if (at === undefined) return;
    button.setAttribute('data-copied', 'true');
    var left = at + COPIED_MS - Date.now();
    if (left <= 0) return;
    button.textContent = 'Copied';
    setTimeout(function () { button.textContent = 'Copy'; }, left);
  }
  function copyButtons(root) {
    var buttons = root.querySelectorAll('button.copy[data-copy]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      showCopied(buttons[i]);
    }
  }
  document.addEventListener('click', function (click) {
    var button = click.target.closest && click.target.closest('button.copy[data-copy]');
    if (!button) return;
    var text = button.getAttribute('data-copy');
    var done = function () {
      copiedAt[text] = Date.now();
      var twins = document.querySelectorAll('button.copy[data-copy]');
      for (var i = 0; i < twins.length; i++) {
        if (twins[i].getAttribute('data-copy') === text) showCopied(twins[i]);
      }
      say('Copied to the clipboard.');
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { say('Copy refused by the browser; select the text instead.'); });
    } else {
      // Not a secure context (a host name other than localhost): the old selection way.
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'absolute';
      area.style.left = '-9999px';
      document.body.appendChild(area);
      area.select();
      try { document.execCommand('copy'); done(); } catch (e) { say('Copy refused by the browser; select the text instead.'); }
      area.remove();
    }
  });

  function enhance(root) { localTimes(root); copyButtons(root); }
  enhance(document);

  // Live regions: refetch this page and swap every [data-live] region for its fresh copy.
  var streamUrl = document.body.getAttribute('data-stream');
  var workerUrl = document.body.getAttribute('data-worker');
  if (streamUrl && document.querySelector('[data-live]')) {
    var busy = false;
    var again = false;
    var timer = null;
    var refreshes = 0;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) { if (text !== null) swap(text); })
        .catch(function () { say('Could not refresh; reload the page.'); })
        .then(function () {
          busy = false;
          if (again) { again = false; soon(); }
        });
    };
    // Frames come in bursts (an event, then an attempt per webhook): one refresh per burst.
    var soon = function () {
      if (timer) return;
      timer = setTimeout(function () { timer = null; refresh(); }, 150);
    };
    var swap = function (text) {
      var fresh = new DOMParser().parseFromString(text, 'text/html');
      var now = fresh.body.getAttribute('data-now');
      if (now) document.body.setAttribute('data-now', now);
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
            : active.getAttribute('data-copy') ? 'button.copy[data-copy="' + CSS.escape(active.getAttribute('data-copy')) + '"]'
            : null;
        }
        // Keep what the reader opened: <details> open before the refresh stay open.
        var opened = [];
        var details = region.querySelectorAll('details[open]');
        for (var d = 0; d < details.length; d++) {
          var owner = details[d].closest('[id]');
          var summary = details[d].querySelector('summary');
          if (owner && summary) opened.push([owner.id, summary.textContent]);
        }
        var imported = document.importNode(next, true);
        region.replaceWith(imported);
        opened.forEach(function (pair) {
          var host = imported.id === pair[0] ? imported : imported.querySelector('#' + CSS.escape(pair[0]));
          if (!host) return;
          var all = host.querySelectorAll('details');
          for (var k = 0; k < all.length; k++) {
            var s = all[k].querySelector('summary');
            if (s && s.textContent === pair[1]) all[k].open = true;
          }
        });
        enhance(imported.parentNode || document);
        if (key) {
          var twin = imported.querySelector(key);
          if (twin) twin.focus();
        }
      }
      // How many refreshes this page took in: something to wait for, for people's tools and tests.
      document.documentElement.setAttribute('data-refreshes', String(++refreshes));
    };

    var onFrame = function (message) {
      if (message.type === 'open') {
        say('Live: this page updates as events and attempts happen.');
        // What happened between this page's rendering and the stream's (re)connection.
        soon();
      } else if (message.type === 'error') {
        say('Live updates paused; reconnecting…');
      } else if (message.type === 'closed') {
        say('Live updates unavailable (the sandbox refused or closed the stream); retrying…');
      } else if (message.type === 'event') {
        var event = JSON.parse(message.data);
        say('New event: ' + event.event + ' (' + event.id + ')');
        soon();
      } else if (message.type === 'attempt') {
        var activity = JSON.parse(message.data);
        var attempt = activity.attempt;
        var outcome = attempt.succeeded ? 'delivered' : (attempt.status_code ? 'HTTP ' + attempt.status_code : (attempt.error || 'no answer'));
        say(activity.event + ' to ' + activity.webhook_id + ': attempt ' + attempt.attempt + ', ' + outcome + (activity.parked ? ', parked' : ''));
        soon();
      }
    };

    // One EventSource, its frames handed to \`deliver\` as { type, data } messages.
    var openSource = function (deliver) {
      var source = new EventSource(streamUrl);
      source.addEventListener('open', function () { deliver({ type: 'open' }); });
      source.addEventListener('error', function () {
        deliver({ type: source.readyState === EventSource.CLOSED ? 'closed' : 'error' });
      });
      ['event', 'attempt'].forEach(function (name) {
        source.addEventListener(name, function (m) { deliver({ type: name, data: m.data }); });
      });
      return source;
    };

    var mode = 'own';
    if (window.SharedWorker && workerUrl) {
      try {
        var worker = new SharedWorker(workerUrl, { name: 'bluum-inspector-live' });
        worker.port.addEventListener('message', function (m) { onFrame(m.data); });
        worker.port.start();
        window.addEventListener('pagehide', function () { worker.port.postMessage('bye'); });
        mode = 'shared-worker';
      } catch (e) { mode = 'own'; }
    }
    if (mode === 'own' && window.BroadcastChannel && navigator.locks) {
      mode = 'leader';
      var channel = new BroadcastChannel('bluum-inspector-live');
      var lastState = null;
      var leading = false;
      channel.addEventListener('message', function (m) {
        if (m.data === 'hello') { if (leading && lastState) channel.postMessage(lastState); return; }
        onFrame(m.data);
      });
      // The tab holding the lock keeps the one stream and relays it; when it closes, the lock
      // passes to another tab, which opens the stream in its turn.
      navigator.locks.request('bluum-inspector-live-leader', function () {
        leading = true;
        return new Promise(function () {
          openSource(function (message) {
            if (message.type !== 'event' && message.type !== 'attempt') lastState = message;
            onFrame(message);
            channel.postMessage(message);
          });
        });
      });
      channel.postMessage('hello');
    }
    if (mode === 'own' && window.EventSource) openSource(onFrame);
    document.documentElement.setAttribute('data-live-mode', mode);
  }

  // Trigger form: swap in the chosen event's sample and receivers; refuse data that is not a JSON object.
  var form = document.getElementById('trigger-form');
  if (form) {
    var select = document.getElementById('trigger-event');
    var data = document.getElementById('trigger-data');
    var error = document.getElementById('trigger-data-error');
    var readJson = function (id) {
      var block = document.getElementById(id);
      return block ? JSON.parse(block.textContent || '{}') : {};
    };
    var samples = readJson('trigger-samples');
    var receivers = readJson('trigger-receivers-data');
    var receiversBox = document.getElementById('trigger-receivers');
    var load = document.getElementById('load-sample');
    if (load) load.hidden = true;
    var clearError = function () { error.textContent = ''; data.removeAttribute('aria-invalid'); };
    var showReceivers = function () {
      if (!receiversBox) return;
      var list = receivers[select.value] || [];
      var old = receiversBox.querySelector('ul, p');
      var next;
      if (list.length === 0) {
        next = document.createElement('p');
        next.className = 'muted';
        next.textContent = 'No active webhook subscribes to it: the event is logged, nothing is delivered.';
      } else {
        next = document.createElement('ul');
        list.forEach(function (receiver) {
          var item = document.createElement('li');
          var link = document.createElement('a');
          link.href = '/webhooks#' + encodeURIComponent(receiver.id);
          link.textContent = receiver.name;
          item.appendChild(link);
          next.appendChild(item);
        });
      }
      if (old) old.replaceWith(next); else receiversBox.appendChild(next);
    };
    select.addEventListener('change', function () {
      if (Object.prototype.hasOwnProperty.call(samples, select.value)) data.value = samples[select.value];
      clearError();
      showReceivers();
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
