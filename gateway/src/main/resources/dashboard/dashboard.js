'use strict';
// The operator's live view. One connection carries everything live: a fetch() of the gateway's Server-Sent Events
// stream with the bearer token in its Authorization header (EventSource cannot send one, and a token in the URL would
// end up in logs and history). The token lives in this page's memory only. When the stream ends (a gateway restart,
// a network cut), the page connects again by itself, backing off up to 5 s; a 401 or 403 asks for a sign-in instead.

const MAX_ROWS = 500;
const state = {
  token: null, user: null, connects: 0, paused: false, held: [], backoff: 250,
  orders: new Map(), // order id -> its notes, in arrival order
  instances: new Map(), // instance name -> row element
  deadLetterCount: -1,
};
const $ = id => document.getElementById(id);

function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function notice(text) {
  $('notice').textContent = text || '';
}

function setConn(name, text) {
  const conn = $('conn');
  conn.dataset.state = name;
  conn.dataset.connects = String(state.connects);
  conn.textContent = text || name;
}

function authorized(init = {}) {
  return { ...init, headers: { ...(init.headers || {}), Authorization: 'Bearer ' + state.token } };
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail || body.title || response.statusText;
  } catch (e) {
    return response.statusText;
  }
}

async function signIn(event) {
  event.preventDefault();
  const username = $('username').value;
  const response = await fetch('/api/auth/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: $('password').value }),
  });
  if (!response.ok) {
    notice('sign-in refused: ' + await problem(response));
    return;
  }
  state.token = (await response.json()).access_token;
  state.user = username;
  $('password').value = '';
  $('login').hidden = true;
  $('who').hidden = false;
  $('who').textContent = username;
  $('logout').hidden = false;
  notice('');
  connect();
}

function signOut(reason) {
  state.token = null;
  if (state.abort) state.abort.abort();
  $('login').hidden = false;
  $('who').hidden = true;
  $('logout').hidden = true;
  setConn('signed-out', 'signed out');
  notice(reason || '');
}

async function connect() {
  if (!state.token) return;
  const abort = new AbortController();
  state.abort = abort;
  let response;
  try {
    response = await fetch('/api/admin/dashboard/stream',
      authorized({ headers: { Accept: 'text/event-stream' }, cache: 'no-store', signal: abort.signal }));
  } catch (e) {
    return reconnect();
  }
  if (response.status === 401 || response.status === 403) {
    return signOut('the gateway refused the stream: ' + await problem(response));
  }
  if (!response.ok) {
    notice('stream answered ' + response.status + ': ' + await problem(response));
    return reconnect();
  }
  state.connects++;
  state.backoff = 250;
  setConn('live', 'live');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    // the connection broke: reconnect below
  }
  if (abort.signal.aborted) return;
  reconnect();
}

function reconnect() {
  if (!state.token) return;
  setConn('reconnecting', 'reconnecting…');
  const delay = state.backoff;
  state.backoff = Math.min(state.backoff * 2, 5000);
  setTimeout(connect, delay);
}

function dispatch(block) {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (!data) return; // a ping
  const body = JSON.parse(data);
  switch (event) {
    case 'hello':
      state.orders.clear();
      $('events').replaceChildren();
      $('event-count').textContent = '';
      body.recent.forEach(observed);
      instances(body.instances.instances);
      break;
    case 'event': observed(body); break;
    case 'instances': instances(body.instances); break;
    case 'breaker': breaker(body.instance, body.state); break;
    case 'outbox': outbox(body.services); break;
    case 'stock': stock(body.items); break;
    case 'dropped': notice('the gateway dropped ' + body.dropped + ' updates while this page was behind'); break;
    case 'notice': notice(body.message); break;
    default: break;
  }
}

// ---- event stream and sagas

function observed(note) {
  if (!state.orders.has(note.order)) state.orders.set(note.order, []);
  state.orders.get(note.order).push(note);
  if (note.order === $('order-id').value.trim()) timeline();
  if (state.paused) {
    state.held.push(note);
    $('event-count').textContent = '(paused, ' + state.held.length + ' waiting)';
    return;
  }
  row(note);
}

function row(note) {
  const tr = document.createElement('tr');
  tr.dataset.order = note.order;
  tr.dataset.type = note.type;
  tr.dataset.kind = note.kind;
  cell(tr, new Date(note.at).toISOString().slice(11, 23));
  cell(tr, note.kind);
  cell(tr, note.type);
  cell(tr, note.order, 'order').addEventListener('click', () => {
    $('order-id').value = note.order;
    timeline();
  });
  cell(tr, note.service);
  cell(tr, note.instance);
  cell(tr, note.outcome, note.kind === 'dead-lettered' || note.kind === 'failed' ? 'bad' : null);
  cell(tr, note.lagMs + ' ms');
  tr.hidden = !matches(tr);
  const body = $('events');
  body.insertBefore(tr, body.firstChild);
  while (body.children.length > MAX_ROWS) body.removeChild(body.lastChild);
  $('event-count').textContent = '(' + body.children.length + ' shown)';
}

function matches(tr) {
  const filter = $('filter').value.trim().toLowerCase();
  return !filter || tr.dataset.order.toLowerCase().includes(filter) || tr.dataset.type.toLowerCase().includes(filter);
}

function pause() {
  state.paused = !state.paused;
  $('pause').textContent = state.paused ? 'Resume' : 'Pause';
  if (!state.paused) {
    state.held.splice(0).forEach(row);
  }
}

// The saga's steps, from what the services observed: an event's creation (placed, reserved or rejected, cancelling,
// released) at its commit time, and order-service applying inventory's answer (confirmed, rejected, cancelled).
function steps(notes) {
  const first = type => notes.find(n => n.type === type);
  const applied = (type, service) => notes.find(n => n.kind === 'handled' && n.outcome === 'applied'
    && n.type === type && n.service === service);
  const relayOf = note => notes.find(n => n.kind === 'delivered' && n.eventId === note.eventId);
  // An event was made by the instance that applied its cause (inventory's answers), else it is shown with the relay
  // that delivered it (order-service's events: the instance that took the request is not in the event).
  const made = (step, note, by) => note && ({
    step, at: note.eventTime, instance: by ? by.instance : (relayOf(note) || note).instance,
  });
  const done = (step, note) => note && ({ step, at: note.at, instance: note.instance });
  const out = [];
  const placed = first('OrderPlaced');
  const cancel = first('OrderCancelled');
  const reserved = first('InventoryReserved');
  const rejects = notes.filter(n => n.type === 'InventoryRejected');
  const rejectedAnswer = rejects.find(n => !cancel || n.eventTime < cancel.eventTime);
  const reservedBy = applied('OrderPlaced', 'inventory-service');
  out.push(made('PLACED', placed));
  out.push(made('RESERVED', reserved, reservedBy));
  if (rejectedAnswer) out.push(made('REJECTED', rejectedAnswer, reservedBy));
  const confirmed = applied('InventoryReserved', 'order-service');
  if (confirmed && (!cancel || confirmed.at < cancel.eventTime)) out.push(done('CONFIRMED', confirmed));
  const rejectedApplied = notes.find(n => n.kind === 'handled' && n.outcome === 'applied' && n.service === 'order-service'
    && rejectedAnswer && n.eventId === rejectedAnswer.eventId);
  if (rejectedApplied) out.push(done('REJECTED', rejectedApplied));
  out.push(made('CANCELLING', cancel));
  out.push(made('RELEASED', first('InventoryReleased'), applied('OrderCancelled', 'inventory-service')));
  const released = applied('InventoryReleased', 'order-service');
  const nothingHeld = rejects.find(n => cancel && n.eventTime >= cancel.eventTime);
  const cancelled = released || (nothingHeld && notes.find(n => n.kind === 'handled' && n.outcome === 'applied'
    && n.service === 'order-service' && n.eventId === nothingHeld.eventId));
  out.push(done('CANCELLED', cancelled));
  return out.filter(Boolean).sort((a, b) => a.at - b.at);
}

function timeline() {
  const id = $('order-id').value.trim();
  const notes = state.orders.get(id) || [];
  const list = $('timeline');
  list.replaceChildren();
  const trace = notes.find(n => n.traceId);
  $('trace').textContent = notes.length ? 'trace id: ' + (trace ? trace.traceId : 'none') : (id ? 'no event seen yet' : '');
  let previous = null;
  for (const step of steps(notes)) {
    const li = document.createElement('li');
    li.dataset.step = step.step;
    const name = document.createElement('span');
    name.className = 'step';
    name.textContent = step.step;
    const took = document.createElement('span');
    took.className = 'took';
    took.textContent = ' ' + new Date(step.at).toISOString().slice(11, 23) + ' on ' + step.instance
      + (previous ? ', ' + Math.max(0, step.at - previous.at) + ' ms after ' + previous.step : '');
    li.append(name, took);
    list.appendChild(li);
    previous = step;
  }
}

// ---- instances, outbox, stock

function instances(list) {
  const seen = new Set();
  for (const instance of list) {
    seen.add(instance.instance);
    let tr = state.instances.get(instance.instance);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.instance = instance.instance;
      tr.dataset.service = instance.service;
      state.instances.set(instance.instance, tr);
      $('instances').appendChild(tr);
    }
    tr.classList.remove('gone');
    delete tr.dataset.gone; // back in discovery (a restarted gateway learns its instances one by one)
    tr.replaceChildren();
    cell(tr, instance.service);
    cell(tr, instance.instance);
    cell(tr, (instance.node || '').slice(0, 8), 'id');
    cell(tr, instance.status);
    cell(tr, instance.circuitBreaker, 'breaker breaker-' + instance.circuitBreaker);
    cell(tr, instance.requestsRouted);
  }
  for (const [name, tr] of state.instances) {
    if (!seen.has(name) && !tr.classList.contains('gone')) {
      tr.classList.add('gone');
      tr.dataset.gone = 'true';
      const status = tr.children[3];
      if (status) status.textContent = 'GONE';
    }
  }
}

function breaker(name, value) {
  const tr = state.instances.get(name);
  const td = tr && tr.querySelector('td.breaker');
  if (td) {
    td.textContent = value;
    td.className = 'breaker breaker-' + value;
  }
}

function age(ms) {
  return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
}

function outbox(services) {
  const body = $('outbox');
  body.replaceChildren();
  let dead = 0;
  for (const s of services) {
    const tr = document.createElement('tr');
    tr.dataset.service = s.service;
    cell(tr, s.service);
    cell(tr, s.undelivered, 'backlog');
    cell(tr, age(s.oldestUndeliveredAgeMs), 'oldest');
    cell(tr, s.deadLettered, 'dead' + (s.deadLettered > 0 ? ' bad' : ''));
    body.appendChild(tr);
    dead += s.deadLettered;
  }
  if (dead !== state.deadLetterCount) {
    state.deadLetterCount = dead;
    deadLetters();
  }
}

async function deadLetters() {
  const response = await fetch('/api/admin/dead-letters', authorized());
  if (!response.ok) {
    notice('dead letters: ' + await problem(response));
    return;
  }
  const body = $('dead-letters');
  body.replaceChildren();
  for (const item of (await response.json()).items) {
    const tr = document.createElement('tr');
    tr.dataset.deadLetter = item.id;
    tr.dataset.order = item.aggregateId;
    cell(tr, item.id, 'id');
    cell(tr, item.type);
    cell(tr, item.aggregateId, 'id');
    cell(tr, item.failures);
    cell(tr, item.error);
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Requeue';
    button.dataset.requeue = item.id;
    button.addEventListener('click', () => requeue(item.id, button));
    cell(tr, '').appendChild(button);
    body.appendChild(tr);
  }
}

async function requeue(id, button) {
  button.disabled = true;
  const response = await fetch('/api/admin/dead-letters/' + encodeURIComponent(id) + '/requeue',
    authorized({ method: 'POST' }));
  notice(response.ok ? 'requeued ' + id : 'requeue of ' + id + ' refused: ' + await problem(response));
  deadLetters();
}

function stock(items) {
  const body = $('stock');
  body.replaceChildren();
  for (const item of items) {
    const tr = document.createElement('tr');
    tr.dataset.sku = item.sku;
    cell(tr, item.sku);
    cell(tr, item.available, 'available');
    cell(tr, item.reserved, 'reserved');
    body.appendChild(tr);
  }
}

$('login').addEventListener('submit', signIn);
$('logout').addEventListener('click', () => signOut(''));
$('pause').addEventListener('click', pause);
$('filter').addEventListener('input', () => {
  for (const tr of $('events').children) tr.hidden = !matches(tr);
});
$('order-id').addEventListener('input', timeline);
