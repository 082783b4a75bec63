/**
 * The SharedWorker that holds a browser profile's one live connection to the sandbox. Every
 * inspector tab connects to it instead of opening its own `EventSource`: Chromium allows 6
 * HTTP/1.1 connections per host, so with one stream per tab the 6th tab would hold the last
 * connection and a 7th would never load. The worker opens the stream, passes each frame to every
 * tab, and tells a tab that connects late whether the stream is up.
 */
export const liveWorkerJs = `
'use strict';
var ports = [];
var source = null;
var state = null;
var streamUrl = new URL('stream', self.location.href).href;

function broadcast(message) {
  state = message.type === 'event' || message.type === 'attempt' ? state : message;
  for (var i = 0; i < ports.length; i++) ports[i].postMessage(message);
}

function connect() {
  source = new EventSource(streamUrl);
  source.addEventListener('open', function () { broadcast({ type: 'open' }); });
  source.addEventListener('error', function () {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (too many streams, the server gone): EventSource gives up; try again later.
      broadcast({ type: 'closed' });
      source = null;
      setTimeout(function () { if (ports.length > 0 && !source) connect(); }, 5000);
    } else {
      broadcast({ type: 'error' });
    }
  });
  ['event', 'attempt'].forEach(function (name) {
    source.addEventListener(name, function (message) { broadcast({ type: name, data: message.data }); });
  });
}

self.addEventListener('connect', function (connection) {
  var port = connection.ports[0];
  ports.push(port);
  port.addEventListener('message', function (message) {
    if (message.data === 'bye') {
      ports = ports.filter(function (p) { return p !== port; });
      if (ports.length === 0 && source) { source.close(); source = null; state = null; }
    }
  });
  port.start();
  if (state) port.postMessage(state);
  if (!source) connect();
});
`
