// sharing-live.js keeps the live feed of /sharing/live current. The stream
// (/api/v1/stream) only announces that something arrived; the rows
// themselves are fetched from the page (/sharing/live?after=SEQ), so the
// server alone decides what a row shows — the owner's name or its
// absence, the TLP label — and what the viewer may see. Without this
// script the page still lists the newest objects and offers a refresh.
(function () {
  'use strict';

  var feed = document.getElementById('live-feed');
  var state = document.getElementById('live-state');
  var pause = document.getElementById('live-pause');
  if (!feed || !state || !pause || typeof EventSource === 'undefined' || !window.fetch || !window.DOMParser) {
    return;
  }
  var tbody = feed.tBodies[0];
  var levels = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
  var keep = 200;
  var last = Number(feed.getAttribute('data-last-seq')) || 0;
  var paused = false;
  var waiting = 0;      // announced while paused
  var fetching = false; // one fetch at a time; a burst of events is one catch-up
  var again = false;
  var source = null;
  var retry = 5;

  function say(text, kind) {
    state.textContent = text;
    state.setAttribute('data-state', kind);
  }

  function clock() {
    var d = new Date();
    return ('0' + d.getUTCHours()).slice(-2) + ':' + ('0' + d.getUTCMinutes()).slice(-2) + ' UTC';
  }

  function rank(label) {
    if (!label) {
      return -1;
    }
    var text = label.textContent;
    return levels.indexOf(text.slice(text.lastIndexOf('TLP:') + 4).trim());
  }

  // merge puts the rows of a fetched page that are newer than the last
  // one shown at the top, newest first, and raises the page's TLP label
  // when they carry a higher level.
  function merge(doc) {
    var rows = doc.querySelectorAll('#live-feed tbody tr[data-seq]');
    var fresh = [];
    for (var i = 0; i < rows.length; i++) {
      if (Number(rows[i].getAttribute('data-seq')) > last) {
        fresh.push(rows[i]);
      }
    }
    if (fresh.length === 0) {
      return 0;
    }
    var old = tbody.querySelectorAll('tr.arrived, tr.empty');
    for (var j = 0; j < old.length; j++) {
      if (old[j].classList.contains('empty')) {
        old[j].remove();
      } else {
        old[j].classList.remove('arrived');
      }
    }
    for (var k = fresh.length - 1; k >= 0; k--) {
      var row = document.importNode(fresh[k], true);
      row.classList.add('arrived');
      tbody.insertBefore(row, tbody.firstChild);
      last = Math.max(last, Number(row.getAttribute('data-seq')));
    }
    while (tbody.rows.length > keep) {
      tbody.deleteRow(tbody.rows.length - 1);
    }
    var mine = document.querySelector('.page-head .tlp');
    var theirs = doc.querySelector('.page-head .tlp');
    if (mine && theirs && rank(theirs) > rank(mine)) {
      mine.replaceWith(document.importNode(theirs, true));
    }
    feed.setAttribute('data-last-seq', String(last));
    return fresh.length;
  }

  function catchUp() {
    if (paused) {
      return;
    }
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    fetch('/sharing/live?after=' + encodeURIComponent(String(last)), {
      credentials: 'same-origin',
      headers: { 'Accept': 'text/html' }
    }).then(function (res) {
      if (!res.ok) {
        throw new Error('status ' + res.status);
      }
      return res.text();
    }).then(function (html) {
      var n = merge(new DOMParser().parseFromString(html, 'text/html'));
      if (n > 0) {
        say('Live. ' + n + ' new object' + (n === 1 ? '' : 's') + ' at ' + clock() + '.', 'live');
      }
    }).catch(function () {
      say('New objects could not be loaded. Refresh the page to see them.', 'unavailable');
    }).finally(function () {
      fetching = false;
      if (again) {
        again = false;
        catchUp();
      }
    });
  }

  function connect() {
    source = new EventSource('/api/v1/stream');
    source.onopen = function () {
      retry = 5;
      if (!paused) {
        say('Live: new objects appear at the top as they are shared.', 'live');
      }
      // What arrived between rendering the page and connecting.
      catchUp();
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CONNECTING) {
        say('Reconnecting…', 'reconnecting');
        return;
      }
      // Closed: the browser gives up on an answer that is not a stream
      // (the server restarting, a proxy); try again, less and less often.
      source.close();
      say('Live updates are not available; trying again in ' + retry + ' seconds. Refresh the page to see new objects.', 'unavailable');
      setTimeout(connect, retry * 1000);
      retry = Math.min(retry * 2, 60);
    };
    source.addEventListener('object', function () {
      if (paused) {
        waiting++;
        say('Paused. ' + waiting + ' new object' + (waiting === 1 ? '' : 's') + ' waiting.', 'paused');
        return;
      }
      catchUp();
    });
  }

  pause.hidden = false;
  pause.addEventListener('click', function () {
    paused = !paused;
    pause.setAttribute('aria-pressed', paused ? 'true' : 'false');
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (paused) {
      waiting = 0;
      say('Paused. New objects are held until you resume.', 'paused');
    } else {
      say('Live: new objects appear at the top as they are shared.', 'live');
      catchUp();
    }
  });
  say('Connecting…', 'reconnecting');
  connect();
})();
