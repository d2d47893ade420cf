// StanzaJS 12 against chat-server over WebSocket (RFC 7395): two accounts
// log in, fetch the roster, ping the server (XEP-0199) and exchange a chat
// message each way.
// node stanzajs.mjs URL DOMAIN USER1 PASS1 USER2 PASS2
import * as XMPP from 'stanza';
import { accounts, harness, token, waiter } from './lib.mjs';

const { url, domain, a, b } = accounts();
const h = harness('StanzaJS');

function start(account, resource) {
  const client = XMPP.createClient({
    jid: `${account.user}@${domain}`,
    password: account.password,
    resource,
    transports: { websocket: url, bosh: false },
  });
  const inbox = waiter();
  client.on('message', (m) => {
    if (m.body !== undefined) inbox.feed({ from: m.from, body: m.body });
  });
  const online = new Promise((resolve, reject) => {
    client.on('session:started', () => resolve(client.jid));
    client.on('auth:failed', () => reject(new Error('auth failed')));
    client.on('stream:error', (e) => reject(new Error(`stream error ${JSON.stringify(e)}`)));
  });
  const disconnected = new Promise((resolve) => client.on('disconnected', resolve));
  online.catch(() => {}); // reported by its step
  client.connect();
  return { client, inbox, online, disconnected };
}

const one = start(a, 'stanza-a');
const two = start(b, 'stanza-b');
const jidA = await h.step(`${a.user} logs in`, () => one.online);
const jidB = await h.step(`${b.user} logs in`, () => two.online);
if (!jidA || !jidB) h.finish();

await h.step('roster get', async () => {
  const roster = await one.client.getRoster();
  if (!roster || !Array.isArray(roster.items)) throw new Error(`roster ${JSON.stringify(roster)}`);
  console.log(`  roster of ${a.user}: ${roster.items.map((i) => i.jid).join(' ') || '(empty)'}`);
});

await h.step(`ping ${domain}`, async () => {
  await one.client.ping(domain);
});

await h.step('both send available presence', async () => {
  one.client.sendPresence();
  two.client.sendPresence();
});

const bare = (jid) => XMPP.JID.toBare(jid);
for (const [from, to, toJid, fromJid, label] of [
  [one, two, jidB, jidA, 'a->b'],
  [two, one, jidA, jidB, 'b->a'],
]) {
  const body = token(`stanza ${label}`);
  await h.step(`message ${label}`, async () => {
    const got = to.inbox.wait((m) => m.body === body);
    from.client.sendMessage({ to: bare(toJid), type: 'chat', body });
    const m = await got;
    if (bare(m.from) !== bare(fromJid)) throw new Error(`from ${m.from}, expected ${fromJid}`);
  });
}

await h.step('both log out', async () => {
  for (const c of [one, two]) {
    c.client.disconnect();
    await c.disconnected;
  }
});
h.finish();
