'use strict';
// The bank's page: accounts with balances that change live, and one account's history with a
// slider that shows the account as of any of its events. Everything comes from the JSON API;
// the live part is one EventSource on /events (es-web's feed of CloudEvents), which reconnects
// and resumes by itself.

const accountsBody = document.querySelector('#accounts tbody');
const slider = document.getElementById('as-of');
const feedStatus = document.getElementById('feed-status');

let selected = null;    // the account whose history is shown
let history = null;     // its events, oldest first; null while they load
let pending = [];       // its live events that arrived while the history loaded
let asOfTicket = 0;     // answers for slider positions the user has moved past are dropped

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`${url}: ${body.message || response.statusText}`);
  }
  return body;
}

const path = (...parts) => '/' + parts.map(encodeURIComponent).join('/');
const money = m => (m ? `${m.amount} ${m.currency}` : '');
const report = error => console.error(error);

// ---- accounts --------------------------------------------------------------------------

function rowOf(id) {
  let tr = [...accountsBody.rows].find(r => r.dataset.account === id);
  if (tr) {
    return tr;
  }
  tr = document.createElement('tr');
  tr.dataset.account = id;
  tr.dataset.position = '0';
  for (const name of ['id', 'owner', 'status', 'balance']) {
    tr.insertCell().className = name;
  }
  tr.cells[0].textContent = id;
  tr.addEventListener('click', () => showHistory(id).catch(report));
  const next = [...accountsBody.rows].find(r => r.dataset.account > id);
  accountsBody.insertBefore(tr, next || null);
  document.getElementById('no-accounts').hidden = true;
  return tr;
}

// position: the log position the figures are at least as new as. Answers arrive out of order,
// and the read model may lag the account itself, so older figures never replace newer ones.
function showAccount(id, owner, status, balance, position) {
  const tr = rowOf(id);
  if (position < Number(tr.dataset.position)) {
    return;
  }
  tr.dataset.position = String(position);
  tr.querySelector('.owner').textContent = owner || '';
  tr.querySelector('.status').textContent = (status || '').toLowerCase();
  const cell = tr.querySelector('.balance');
  if (cell.textContent !== money(balance)) {
    cell.textContent = money(balance);
    tr.classList.remove('changed');
    void tr.offsetWidth; // restarts the highlight
    tr.classList.add('changed');
  }
}

async function loadAccounts() {
  const body = await getJson('/accounts');
  for (const a of body.accounts) {
    showAccount(a.account, a.owner, a.status, a.balance, a.lastPosition);
  }
  document.getElementById('no-accounts').hidden = body.accounts.length > 0;
}

// ---- live feed -------------------------------------------------------------------------

function follow() {
  const source = new EventSource('/events');
  source.onopen = () => {
    feedStatus.dataset.state = 'live';
    feedStatus.textContent = 'live';
    // Loaded after the feed is open, so no change falls between the list and the feed.
    loadAccounts().catch(report);
  };
  source.onerror = () => {
    feedStatus.dataset.state = 'down';
    feedStatus.textContent = 'reconnecting…';
    // The browser reconnects by itself after a dropped connection, but gives up for good when
    // the server answers with an error (say, 503 while the database is down).
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(follow, 5000);
    }
  };
  // Each message is a CloudEvent (es-web's feeds); a 'dropped' message ends a follower the
  // server let go, and the browser reconnects after it with the last id, as after any drop.
  source.onmessage = message => {
    const event = fromCloudEvent(JSON.parse(message.data));
    if (event.account === null) {
      return;
    }
    refresh(event.account, event.position);
    if (event.account === selected) {
      addEvent(event);
    }
  };
}

// A CloudEvent of the feed as the history's events look: the account from the subject
// ('account-<id>'), position and version from the extensions, the payload under data.
const ACCOUNT_SUBJECT = 'account-';
function fromCloudEvent(ce) {
  const subject = typeof ce.subject === 'string' ? ce.subject : '';
  return {
    account: subject.startsWith(ACCOUNT_SUBJECT) ? subject.substring(ACCOUNT_SUBJECT.length) : null,
    position: Number(ce.position),
    version: Number(ce.streamversion),
    type: ce.type,
    recordedAt: ce.time,
    payload: ce.data,
  };
}

// Loads an account after its event at `position` arrived: the account itself, not the read
// model, which may not have the event yet. One load per account at a time, so a burst of
// events costs two loads rather than one per event.
const loading = new Map(); // account id -> newest position seen while its load runs
function refresh(id, position) {
  if (loading.has(id)) {
    loading.set(id, Math.max(loading.get(id), position));
    return;
  }
  loading.set(id, position);
  getJson(path('accounts', id))
    .then(a => showAccount(a.id, a.owner, a.status, a.balance, position))
    .catch(report)
    .finally(() => {
      const newest = loading.get(id);
      loading.delete(id);
      if (newest > position) {
        refresh(id, newest);
      }
    });
}

// ---- history and as-of slider ----------------------------------------------------------

async function showHistory(id) {
  selected = id;
  history = null;
  pending = [];
  for (const r of accountsBody.rows) {
    r.classList.toggle('selected', r.dataset.account === id);
  }
  document.getElementById('history').hidden = false;
  document.getElementById('history-account').textContent = id;
  const body = await getJson(path('accounts', id, 'history'));
  if (selected !== id) {
    return;
  }
  history = [];
  document.getElementById('events').replaceChildren();
  // The whole history is listed first and its state asked for once: asking per event fired one
  // request per event, and the newest state waited behind all of them.
  for (const e of body.events.concat(pending)) {
    listEvent(e);
  }
  pending = [];
  slider.value = slider.max;
  await showAsOf(Number(slider.value));
}

// A live event of the selected account: listed, and shown if the slider was at the newest event.
function addEvent(event) {
  if (history === null) {
    pending.push(event);
    return;
  }
  const atEnd = Number(slider.value) === history.length;
  if (listEvent(event) && atEnd) {
    slider.value = slider.max;
    showAsOf(history.length).catch(report);
  }
}

// Appends the event to the list and the slider's range; false if it was listed already.
function listEvent(event) {
  if (event.version <= history.length) {
    return false;
  }
  history.push(event);
  const li = document.createElement('li');
  li.dataset.version = String(event.version);
  const amount = event.payload && event.payload.amount ? ' ' + money(event.payload.amount) : '';
  li.textContent = `v${event.version} ${event.type}${amount} `;
  const when = document.createElement('code');
  when.textContent = event.recordedAt;
  li.appendChild(when);
  document.getElementById('events').appendChild(li);
  slider.max = String(history.length);
  return true;
}

async function showAsOf(version) {
  const ticket = ++asOfTicket;
  const event = history[version - 1];
  document.getElementById('as-of-label').textContent = event
    ? `v${version} · ${event.type} · ${event.recordedAt}`
    : 'before the first event';
  for (const li of document.querySelectorAll('#events li')) {
    li.classList.toggle('after', Number(li.dataset.version) > version);
  }
  const body = await getJson(`${path('accounts', selected, 'as-of')}?version=${version}`);
  if (ticket !== asOfTicket) {
    return;
  }
  const state = document.getElementById('as-of-state');
  state.querySelector('.status').textContent = body.status.toLowerCase();
  state.querySelector('.balance').textContent = money(body.balance) || '–';
  state.querySelector('.version').textContent = String(body.version);
  state.dataset.version = String(body.version);
}

slider.addEventListener('input', () => showAsOf(Number(slider.value)).catch(report));
follow();
