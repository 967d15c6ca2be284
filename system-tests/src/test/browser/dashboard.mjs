// Drives the dashboard in Debian's Chromium, as an operator would, against the system DashboardBrowserIT started.
// Usage: node dashboard.mjs <gateway base URL> <admin user> <admin password> <customer user> <customer password> <shots dir>
// What only the test JVM can do (kill -9, restart, park an event) is asked on stdout ("ASK <what>") and answered on
// stdin ("DONE <what> [value]"). Exits 0 when every step passed; any console error of the page fails the run.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [base, adminUser, adminPassword, customerUser, customerPassword, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const answers = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const errors = [];
let step = 'start';
let shot = 0;

async function ask(what) {
  console.log('ASK ' + what);
  const { value, done } = await answers.next();
  if (done || !value.startsWith('DONE ' + what)) throw new Error('the test JVM answered ' + value + ' to ' + what);
  return value.slice(('DONE ' + what).length).trim();
}

async function api(method, path, token, body) {
  const response = await fetch(base + path, {
    method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(method + ' ' + path + ' answered ' + response.status + ': ' + text);
  return text ? JSON.parse(text) : null;
}

async function token(user, password) {
  const response = await fetch(base + '/api/auth/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }),
  });
  if (!response.ok) throw new Error('token for ' + user + ': ' + response.status);
  return (await response.json()).access_token;
}

async function timed(name, limitMs, page, condition) {
  step = name;
  const begun = Date.now();
  try {
    await page.waitForFunction(condition.fn, condition.arg, { timeout: limitMs, polling: 50 });
  } catch (e) {
    await page.screenshot({ path: join(shots, String(++shot).padStart(2, '0') + '-FAILED-' + name + '.png'), fullPage: true });
    throw new Error(name + ': not seen within ' + limitMs + ' ms');
  }
  console.log('seen: ' + name + ' after ' + (Date.now() - begun) + ' ms');
  await page.screenshot({ path: join(shots, String(++shot).padStart(2, '0') + '-' + name + '.png'), fullPage: true });
}

// A fresh profile of its own, so nothing of an earlier run (or of a person's Chromium) takes part.
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'dashboard-chromium-')), {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1500, height: 1300 },
});
try {
  const page = browser.pages()[0] || await browser.newPage();
  page.on('console', message => {
    if (message.type() === 'error') errors.push({ step, text: message.text() });
  });
  page.on('pageerror', error => errors.push({ step, text: 'uncaught: ' + error.message }));

  const admin = await token(adminUser, adminPassword);
  const customer = await token(customerUser, customerPassword);
  await api('POST', '/api/inventory/DASH-A/restock', admin, { quantity: 10 });

  step = 'sign-in';
  await page.goto(base + '/dashboard');
  await page.fill('#username', adminUser);
  await page.fill('#password', adminPassword);
  await page.click('#login button');
  await timed('signed-in-live', 10_000, page, {
    fn: () => document.querySelector('#conn').dataset.state === 'live'
      && document.querySelectorAll('#instances tr').length >= 3
      && document.querySelector('#stock tr[data-sku="DASH-A"] td.available')?.textContent === '10',
  });

  const order = await api('POST', '/api/orders', customer, { items: [{ sku: 'DASH-A', quantity: 3 }] });
  await page.fill('#order-id', order.id);
  await timed('order-confirmed', 5_000, page, {
    fn: id => document.querySelector('#timeline li[data-step="CONFIRMED"]')
      && document.querySelectorAll(`#events tr[data-order="${id}"]`).length >= 4
      && document.querySelector('#stock tr[data-sku="DASH-A"] td.reserved')?.textContent === '3',
    arg: order.id,
  });

  await page.fill('#filter', 'InventoryReserved');
  await timed('filtered-by-type', 2_000, page, {
    fn: () => [...document.querySelectorAll('#events tr')].filter(tr => !tr.hidden)
      .every(tr => tr.dataset.type === 'InventoryReserved'),
  });
  await page.fill('#filter', '');

  await api('POST', '/api/orders/' + order.id + '/cancel', customer);
  await timed('order-cancelled-stock-back', 5_000, page, {
    fn: () => document.querySelector('#timeline li[data-step="CANCELLED"]')
      && document.querySelector('#timeline li[data-step="RELEASED"]')
      && document.querySelector('#stock tr[data-sku="DASH-A"] td.available')?.textContent === '10'
      && document.querySelector('#stock tr[data-sku="DASH-A"] td.reserved')?.textContent === '0',
  });

  const parked = await ask('park-event');
  await page.fill('#order-id', parked);
  await timed('event-parked', 20_000, page, {
    fn: id => document.querySelector(`#dead-letters tr[data-order="${id}"] button[data-requeue]`)
      && document.querySelector('#outbox tr[data-service="inventory-service"] td.dead')?.textContent === '1',
    arg: parked,
  });
  await ask('repair ' + parked);
  await page.click(`#dead-letters tr[data-order="${parked}"] button[data-requeue]`);
  await timed('dead-letter-requeued', 10_000, page, {
    fn: id => !document.querySelector(`#dead-letters tr[data-order="${id}"]`)
      && document.querySelector('#outbox tr[data-service="inventory-service"] td.dead')?.textContent === '0'
      && document.querySelectorAll('#timeline li[data-step="REJECTED"]').length === 2, // inventory's, then the order's
    arg: parked,
  });

  step = 'gateway-restart';
  const connects = await page.evaluate(() => document.querySelector('#conn').dataset.connects);
  await ask('restart-gateway');
  await timed('reconnected-after-gateway-restart', 30_000, page, {
    fn: before => document.querySelector('#conn').dataset.state === 'live'
      && Number(document.querySelector('#conn').dataset.connects) > Number(before)
      && document.querySelectorAll('#stock tr').length > 0,
    arg: connects,
  });
  const killed = await ask('kill-inventory');
  const probes = setInterval(() => api('GET', '/api/inventory/DASH-A', admin).catch(() => {}), 200);
  try {
    await timed('inventory-killed', 10_000, page, {
      fn: name => {
        const row = document.querySelector(`#instances tr[data-instance="${name}"]`);
        return row && (row.dataset.gone === 'true' || row.querySelector('td.breaker')?.textContent === 'OPEN');
      },
      arg: killed,
    });
  } finally {
    clearInterval(probes);
  }

  step = 'end';
} finally {
  await browser.close();
}

// While the gateway is down the page's own reconnect attempts fail, and Chromium logs each refused connection as a
// console error of the network; that is the one error expected, and only in that step.
const unexpected = errors.filter(e => !(e.step === 'reconnected-after-gateway-restart' || e.step === 'gateway-restart')
  || !/net::ERR_(CONNECTION_REFUSED|EMPTY_RESPONSE|CONNECTION_RESET|INCOMPLETE_CHUNKED_ENCODING)|Failed to load resource/.test(e.text));
errors.forEach(e => console.log('console error in ' + e.step + ': ' + e.text));
if (unexpected.length) {
  console.log('FAILED: ' + unexpected.length + ' unexpected console error(s)');
  process.exit(1);
}
console.log('PASSED: every step seen in the browser');
process.exit(0);
