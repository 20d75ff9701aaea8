'use strict';
// The operator's console: plain DOM code over the JSON API (docs/console.md). No framework,
// no build step, nothing loaded from elsewhere.

const state = { session: null, stream: null, streamEvents: [], streamVersion: 0 };

const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n).toLocaleString('en-US');
const cell = (text, cls) => {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  return td;
};
const button = (label, cls, onClick) => {
  const b = document.createElement('button');
  b.textContent = label;
  b.className = cls;
  b.addEventListener('click', onClick);
  return b;
};

function say(text, ok) {
  const m = $('message');
  m.textContent = text;
  m.className = ok ? 'ok' : 'error';
}

async function api(path, options) {
  const init = Object.assign({ headers: {} }, options || {});
  if (init.method === 'POST') {
    init.headers['Content-Type'] = 'application/json';
    init.headers[state.session.csrfHeader] = state.session.csrfToken;
  }
  const response = await fetch('api/' + path, init);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    throw new Error(response.status + ' ' + (body && body.title ? body.title : '') + ': ' + detail);
  }
  return body;
}

const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body || {}) });

/** Asks for confirmation with the given text and a reason; resolves with the reason, or null. */
function confirmAction(text) {
  return new Promise((resolve) => {
    $('confirm-text').textContent = text;
    $('confirm-reason').value = '';
    $('confirm').hidden = false;
    $('confirm-reason').focus();
    const done = (value) => {
      $('confirm').hidden = true;
      $('confirm-ok').onclick = null;
      $('confirm-cancel').onclick = null;
      resolve(value);
    };
    $('confirm-ok').onclick = () => done($('confirm-reason').value);
    $('confirm-cancel').onclick = () => done(null);
  });
}

async function act(text, path, body) {
  const reason = await confirmAction(text);
  if (reason === null) return null;
  try {
    const result = await post(path, Object.assign({ reason: reason }, body || {}));
    say('done: ' + text, true);
    return result;
  } catch (e) {
    say('refused: ' + e.message, false);
    return null;
  }
}

// ---- views

function show(view) {
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== 'view-' + view; });
  document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.dataset.view === view));
  if (view === 'projectors') loadVersions();
  if (view === 'dead-letters') loadDeadLetters();
  if (view === 'integrity') loadIntegrity();
  if (view === 'audit') loadAudit();
  if (view === 'webhooks') loadWebhooks();
}

// ---- projectors

function renderProjectors(list) {
  const body = $('projectors').querySelector('tbody');
  body.replaceChildren();
  const names = new Set();
  for (const p of list) {
    names.add(p.projector);
    const tr = document.createElement('tr');
    tr.dataset.projector = p.projector;
    tr.dataset.version = p.version;
    tr.dataset.partition = p.partition;
    if (p.state === 'FAILED' || p.lastError) tr.className = 'failed';
    const tx = p.oldestOpenTransaction;
    tr.append(cell(p.projector), cell(p.version + (p.active ? '' : ' (building)')),
      cell(p.partition + '/' + p.partitions), cell(p.state, 'state'), cell(p.owner || '-'),
      cell(fmt(p.position), 'num position'), cell(fmt(p.headPosition), 'num'), cell(fmt(p.lagEvents), 'num lag'),
      cell(p.lagSeconds.toFixed(1), 'num'), cell(p.eventsPerSecond.toFixed(1), 'num'),
      cell(tx ? 'pid ' + tx.pid + ', ' + tx.ageSeconds.toFixed(0) + ' s (' + p.heldBackEvents + ' events)' : '-'),
      cell(p.openDeadLetters, 'num'), cell(p.lastError ? p.lastError.message : ''));
    const actions = document.createElement('td');
    if (!state.session.standalone) actions.append(
      button('Pause', 'pause', () => act('pause ' + p.projector + ' on every node', 'projectors/' + p.projector + '/pause')),
      button('Resume', 'resume', () => act('resume ' + p.projector + ' on every node', 'projectors/' + p.projector + '/resume')));
    tr.append(actions);
    body.append(tr);
  }
  const select = $('replay-projector');
  const chosen = select.value;
  if ([...names].join() !== [...select.options].map((o) => o.value).join()) {
    select.replaceChildren(...[...names].map((n) => new Option(n, n)));
    if (names.has(chosen)) select.value = chosen;
  }
}

async function loadVersions() {
  let list;
  try {
    list = await api('projectors/versions');
  } catch (e) {
    return; // the next status tick tries again
  }
  const body = $('versions').querySelector('tbody');
  body.replaceChildren();
  for (const v of list) {
    const tr = document.createElement('tr');
    tr.dataset.projector = v.projector;
    tr.dataset.version = v.version;
    tr.className = 'version-' + v.state;
    const progress = v.state === 'rebuilding' && v.headPosition > 0
      ? Math.min(100, Math.floor(100 * v.position / v.headPosition)) + ' %' : '';
    tr.append(cell(v.projector), cell(v.version), cell(v.state, 'state'), cell(v.partitions, 'num'),
      cell(fmt(v.position), 'num'), cell(fmt(v.headPosition), 'num'), cell(progress, 'num'),
      cell(v.tables.join(', '), 'tables'), cell(v.description));
    const actions = document.createElement('td');
    if (v.state === 'retired' && v.tables.length > 0 && !state.session.standalone) {
      const path = 'projectors/' + encodeURIComponent(v.projector) + '/versions/' + v.version + '/drop-tables';
      actions.append(button('Drop tables', 'drop-tables', async () => {
        await act('drop the tables of ' + v.projector + ' v' + v.version + ': ' + v.tables.join(', ')
          + ' (this cannot be undone)', path);
        loadVersions();
      }));
    }
    tr.append(actions);
    body.append(tr);
  }
}

function startLiveFeed() {
  const feed = new EventSource('api/projectors/live');
  feed.addEventListener('open', () => { $('feed-status').textContent = 'live'; });
  feed.addEventListener('status', (e) => {
    $('feed-status').textContent = 'live';
    renderProjectors(JSON.parse(e.data));
    if (!$('view-projectors').hidden) loadVersions();
  });
  feed.addEventListener('error', () => { $('feed-status').textContent = 'reconnecting'; });
}

async function planReplay() {
  const projector = $('replay-projector').value;
  const query = new URLSearchParams();
  if ($('replay-position').value.trim()) query.set('position', $('replay-position').value.trim());
  if ($('replay-time').value.trim()) query.set('time', $('replay-time').value.trim());
  try {
    const plan = await api('projectors/' + encodeURIComponent(projector) + '/replay-plan?' + query);
    await act(plan.description, 'projectors/' + encodeURIComponent(projector) + '/replay',
      { position: String(plan.fromPosition) });
  } catch (e) {
    say('refused: ' + e.message, false);
  }
}

// ---- dead letters

async function loadDeadLetters() {
  const query = new URLSearchParams();
  if ($('dl-projector').value.trim()) query.set('projector', $('dl-projector').value.trim());
  if ($('dl-stream').value.trim()) query.set('stream', $('dl-stream').value.trim());
  let list;
  try {
    list = await api('dead-letters?' + query);
  } catch (e) {
    say(e.message, false);
    return;
  }
  const body = $('dead-letters').querySelector('tbody');
  body.replaceChildren();
  for (const d of list) {
    const tr = document.createElement('tr');
    tr.dataset.id = d.id;
    tr.append(cell(d.id), cell(d.projector + ' v' + d.version), cell(fmt(d.position), 'num'),
      cell(d.stream + ' v' + d.streamVersion), cell(d.type), cell(d.status), cell(d.attempts, 'num'), cell(d.error));
    const actions = document.createElement('td');
    actions.append(
      button('Retry', 'retry', async () => {
        const r = await act('retry dead letter ' + d.id + ' (' + d.type + ' of ' + d.stream + ')', 'dead-letters/' + d.id + '/retry');
        if (r && r.stillFailing) say('still failing: ' + r.error, false);
        loadDeadLetters();
      }),
      button('Retry stream', 'retry-stream', async () => {
        await act('retry every dead letter of ' + d.stream + ' in ' + d.projector + ', in stream order',
          'dead-letters/retry-stream', { projector: d.projector, stream: d.stream });
        loadDeadLetters();
      }),
      button('Discard', 'discard', async () => {
        await act('discard dead letter ' + d.id + ' (' + d.type + ' of ' + d.stream + '): its event is skipped',
          'dead-letters/' + d.id + '/discard');
        loadDeadLetters();
      }));
    tr.append(actions);
    body.append(tr);
  }
  // Counts the lists drawn, so that a reader (or a test) can tell a new list from the last one.
  $('dead-letters').dataset.loads = Number($('dead-letters').dataset.loads || 0) + 1;
}

// ---- webhooks

async function loadWebhooks() {
  let list;
  try {
    list = await api('webhooks');
  } catch (e) {
    say(e.message, false);
    return;
  }
  const body = $('webhooks').querySelector('tbody');
  body.replaceChildren();
  for (const w of list) {
    const tr = document.createElement('tr');
    tr.dataset.id = w.id;
    if (w.state === 'PARKED') tr.className = 'failed';
    tr.append(cell(w.url), cell(w.eventTypes.length ? w.eventTypes.join(', ') : 'all'), cell(w.state),
      cell(fmt(w.delivered), 'num'), cell(fmt(w.pending), 'num'), cell(w.failures, 'num'), cell(w.lastError),
      cell(w.nextAttemptAt));
    const actions = document.createElement('td');
    actions.append(button('Replay', 'replay', async () => {
      await act('deliver the ' + w.pending + ' waiting events to ' + w.url + ', in order', 'webhooks/' + w.id + '/replay');
      loadWebhooks();
    }));
    tr.append(actions);
    body.append(tr);
  }
}

// ---- streams

async function findStreams() {
  let list;
  try {
    list = await api('streams?query=' + encodeURIComponent($('stream-query').value.trim()));
  } catch (e) {
    say(e.message, false);
    return;
  }
  const ul = $('stream-results');
  ul.replaceChildren();
  for (const s of list) {
    const li = document.createElement('li');
    li.dataset.stream = s.stream;
    li.append(button(s.stream, 'stream-link', () => openStream(s.stream)), ' v' + s.version);
    ul.append(li);
  }
}

async function showLog() {
  let list;
  try {
    list = await api('log?position=' + encodeURIComponent($('log-position').value.trim()));
  } catch (e) {
    say(e.message, false);
    return;
  }
  const body = $('log-events').querySelector('tbody');
  body.replaceChildren();
  for (const e of list) {
    const tr = document.createElement('tr');
    tr.append(cell(fmt(e.position), 'num'), cell(''), cell(e.version, 'num'), cell(e.type), cell(e.recordedAt));
    tr.children[1].append(button(e.stream, 'stream-link', () => openStream(e.stream)));
    body.append(tr);
  }
  $('log-events').hidden = false;
}

async function openStream(stream) {
  state.stream = stream;
  state.streamEvents = [];
  $('stream-detail').hidden = false;
  $('stream-title').textContent = stream;
  $('stream-integrity').textContent = '';
  $('stream-events').querySelector('tbody').replaceChildren();
  await moreEvents();
  $('as-of').max = state.streamVersion;
  $('as-of').value = state.streamVersion;
  await showState('version=' + state.streamVersion);
}

async function moreEvents() {
  const from = state.streamEvents.length + 1;
  let page;
  try {
    page = await api('streams/' + encodeURIComponent(state.stream) + '/events?fromVersion=' + from + '&limit=50');
  } catch (e) {
    say(e.message, false);
    return;
  }
  state.streamVersion = page.streamVersion;
  const body = $('stream-events').querySelector('tbody');
  for (const e of page.events) {
    state.streamEvents.push(e);
    const tr = document.createElement('tr');
    tr.dataset.version = e.version;
    tr.append(cell(e.version, 'num'), cell(fmt(e.position), 'num'), cell(e.type), cell(e.recordedAt),
      cell(JSON.stringify(e.payload), 'payload'));
    body.append(tr);
  }
  $('stream-more').hidden = state.streamEvents.length >= state.streamVersion;
}

async function showState(query) {
  let s;
  try {
    s = await api('streams/' + encodeURIComponent(state.stream) + '/state?' + query);
  } catch (e) {
    say(e.message, false);
    return;
  }
  const pre = $('as-of-state');
  pre.textContent = s.decoded ? JSON.stringify(s.state, null, 2)
    : '(no decoder for this category: the events up to v' + s.version + ' are below)';
  pre.dataset.version = s.version;
  const event = state.streamEvents.find((e) => e.version === s.version);
  $('as-of-label').textContent = 'v' + s.version + (event ? ' · ' + event.type + ' · ' + event.recordedAt : ' · initial state');
  $('as-of').value = s.version;
}

async function verifyStream() {
  try {
    const r = await api('streams/' + encodeURIComponent(state.stream) + '/integrity');
    $('stream-integrity').textContent = r.intact ? 'intact: ' + r.eventsChecked + ' events'
      : 'NOT intact: ' + r.violations.map((v) => v.kind + ' at v' + v.version + ': ' + v.detail).join('; ');
  } catch (e) {
    say(e.message, false);
  }
}

// ---- integrity and audit

let integrityTimer = null;

async function loadIntegrity() {
  let r;
  try {
    r = await api('integrity');
  } catch (e) {
    say(e.message, false);
    return;
  }
  $('verify-progress').textContent = r.running
    ? 'running (started by ' + r.startedBy + '): ' + fmt(r.streamsDone) + ' of ' + fmt(r.streamsTotal) + ' streams, ' + fmt(r.eventsDone) + ' events'
    : (r.startedAt ? 'last run started by ' + r.startedBy + ' at ' + r.startedAt : 'never run since the console started');
  $('verify-result').textContent = r.error ? 'failed: ' + r.error : r.result
    ? (r.result.intact ? 'intact' : 'NOT intact') + ': ' + fmt(r.result.streamsChecked) + ' streams, ' + fmt(r.result.eventsChecked) + ' events'
      + (r.result.violations.length ? '; ' + r.result.violations.map((v) => v.stream + ' v' + v.version + ' ' + v.kind).join(', ') : '')
    : '';
  $('verify-anchor').textContent = r.lastAnchor ? 'anchor at position ' + fmt(r.lastAnchor.logPosition) + ', '
    + r.lastAnchor.streams + ' streams, digest ' + r.lastAnchor.digest + ' (' + r.lastAnchor.takenAt + ')' : '';
  clearTimeout(integrityTimer);
  if (r.running) integrityTimer = setTimeout(loadIntegrity, 1000);
}

async function loadAudit() {
  let list;
  try {
    list = await api('audit');
  } catch (e) {
    say(e.message, false);
    return;
  }
  const body = $('audit').querySelector('tbody');
  body.replaceChildren();
  for (const entry of list) {
    const a = entry.action;
    const tr = document.createElement('tr');
    tr.append(cell(entry.recordedAt), cell(a.user), cell(a.action), cell(a.detail), cell(a.reason), cell(a.outcome));
    body.append(tr);
  }
}

// ---- start

async function start() {
  try {
    state.session = await api('session');
  } catch (e) {
    say(e.message, false);
    return;
  }
  $('who').textContent = state.session.user + ' (' + state.session.role + ')';
  $('standalone-note').hidden = !state.session.standalone;
  $('replay-form').hidden = state.session.standalone;
  $('logout-csrf').value = state.session.csrfToken;
  document.querySelectorAll('.tab').forEach((t) => t.addEventListener('click', () => show(t.dataset.view)));
  $('replay-plan').addEventListener('click', planReplay);
  $('dl-filter').addEventListener('click', loadDeadLetters);
  $('stream-find').addEventListener('click', findStreams);
  $('log-show').addEventListener('click', showLog);
  $('stream-more').addEventListener('click', moreEvents);
  $('stream-verify').addEventListener('click', verifyStream);
  $('as-of').addEventListener('change', () => showState('version=' + $('as-of').value));
  $('as-of-time-go').addEventListener('click', () => showState('time=' + encodeURIComponent($('as-of-time').value.trim())));
  $('verify-all').addEventListener('click', async () => {
    await act('verify the hash chains of every stream in the log', 'integrity/verify');
    loadIntegrity();
  });
  show('projectors');
  startLiveFeed();
}

start();
