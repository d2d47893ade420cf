// Converse.js 14 in headless Chromium (playwright-core, Debian's chromium)
// against chat-server's own demo page: log in through the page's login
// form as USER1, receive a chat message from USER2 (an @xmpp/client in
// Node), open it from "New messages", answer through the message box, and
// check that USER2 receives the answer. Saves a screenshot.
// node --experimental-websocket converse.mjs HTTP_BASE WS_URL DOMAIN USER1 PASS1 USER2 PASS2 SCREENSHOT
import { client, xml } from '@xmpp/client';
import { harness, launchChromium, loopbackOnly, token, waiter } from './lib.mjs';

const [base, wsUrl, domain, user1, pass1, user2, pass2, screenshot] = process.argv.slice(2);
if (!screenshot) {
  console.error('usage: HTTP_BASE WS_URL DOMAIN USER1 PASS1 USER2 PASS2 SCREENSHOT');
  process.exit(2);
}
const h = harness('Converse.js', { watchdogMs: 120000 });

// USER2: a Node client that sends first and waits for the answer.
const bob = client({ service: wsUrl, domain, username: user2, password: pass2, resource: 'node' });
const inbox = waiter();
const presences = waiter();
bob.on('error', (e) => console.log(`  ${user2} error: ${e.message}`));
bob.on('stanza', (s) => {
  if (s.is('message') && s.getChildText('body') !== null) {
    inbox.feed({ from: s.attrs.from, body: s.getChildText('body') });
  }
  if (s.is('presence')) presences.feed({ from: s.attrs.from || '', type: s.attrs.type });
});
const bobJid = await h.step(`${user2} (Node) logs in`, () => bob.start());
if (!bobJid) h.finish();
await bob.send(xml('presence'));

const browser = await h.step('chromium starts', launchChromium, 30000);
if (!browser) h.finish();
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const blocked = await loopbackOnly(page);
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => {
  if (m.type() === 'error') console.log(`  [page console] ${m.text()}`);
});

async function shot() {
  try {
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`  screenshot: ${screenshot}`);
  } catch (e) {
    console.log(`  screenshot failed: ${e.message}`);
  }
}

async function end() {
  await shot();
  if (blocked.length) console.log(`  blocked non-loopback requests: ${[...new Set(blocked)].join(' ')}`);
  if (pageErrors.length) console.log(`  page errors: ${pageErrors.join(' | ')}`);
  await browser.close().catch(() => {});
  await bob.stop().catch(() => {});
  h.finish();
}

await h.step('demo page loads Converse.js', async () => {
  const response = await page.goto(`${base}/`, { waitUntil: 'load' });
  if (!response || !response.ok()) throw new Error(`HTTP ${response && response.status()}`);
  await page.locator('input[name="jid"]').waitFor({ state: 'visible', timeout: 20000 });
}, 30000);

const loggedIn = await h.step(`${user1} logs in through the login form`, async () => {
  // The page sets locked_domain, so the form takes the bare username.
  await page.locator('input[name="jid"]').fill(user1);
  await page.locator('input[name="password"]').fill(pass1);
  await page.locator('#converse-login [type="submit"]').first().click();
  await page.locator('input[name="jid"]').waitFor({ state: 'detached', timeout: 15000 });
  // The controlbox shows the logged-in user's name once the session is up.
  await page.locator('converse-user-profile, .controlbox-section, converse-roster').first().waitFor({ timeout: 15000 });
}, 20000);
if (!loggedIn) await end();

// Converse's "connected" fires before its initial presence; a message to the
// bare JID before that would go to offline storage. USER2 is subscribed to
// USER1's presence (the suite sets that up), so wait for the presence.
await h.step(`${user2} sees ${user1}'s presence`, () =>
  presences.wait((p) => p.from.startsWith(`${user1}@${domain}/`) && p.type === undefined), 20000);

const hello = token(`from ${user2} to converse`);
await h.step(`${user1} receives a message from ${user2} and opens it`, async () => {
  await bob.send(xml('message', { to: `${user1}@${domain}`, type: 'chat' }, xml('body', {}, hello)));
  // Fullscreen: a new chat is listed (roster item / "New messages"); open it.
  const inChat = page.locator('converse-chat-message, .chat-msg').filter({ hasText: hello });
  const deadline = Date.now() + 20000;
  while (!(await inChat.first().isVisible().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('message not shown');
    const entry = page.locator(`a.open-chat, .list-item-link`).filter({ hasText: user2 }).first();
    if (await entry.isVisible().catch(() => false)) await entry.click().catch(() => {});
    await page.waitForTimeout(500);
  }
}, 25000);

const answer = token(`from converse to ${user2}`);
await h.step(`${user1} answers through the message box and ${user2} receives it`, async () => {
  const box = page.locator('textarea.chat-textarea').first();
  await box.waitFor({ state: 'visible', timeout: 10000 });
  await box.fill(answer);
  await box.press('Enter');
  const m = await inbox.wait((x) => x.body === answer);
  if (!m.from.startsWith(`${user1}@${domain}`)) throw new Error(`from ${m.from}`);
  await page.locator('converse-chat-message, .chat-msg').filter({ hasText: answer }).first()
    .waitFor({ timeout: 5000 });
}, 20000);

await h.step('no page errors', async () => {
  if (pageErrors.length) throw new Error(pageErrors.join(' | '));
});
await end();
