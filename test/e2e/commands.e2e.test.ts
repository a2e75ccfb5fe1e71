import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';

describe('revoke command forms, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when an agent mentions a colleague in a channel, then the visible sign-in runs, the mention resolves through the roster and the revoke runs with the agent’s token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const alex = directory.user('alex');
    const helen = directory.user('helen');
    const channel = teams.team('IT Ops', [uma, alex, helen]).channel('Helpdesk');
    const card = await sendForCard(teams, uma, channel, 'revoke @Alex Wilber', { mentions: [alex], signIn: true });
    assert.match(textOf(card.card), /Alex Wilber/);
    assert.match(textOf(card.card), /alex@contoso\.onmicrosoft\.com/);
    const stranger = await teams.click(helen, card, 'Revoke sessions');
    assert.match(stranger.message ?? '', /Only Uma Useradmin can confirm/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 0, 'a stranger’s click revokes nothing');
    const click = await teams.click(uma, card, 'Revoke sessions', { signIn: true });
    assert.match(textOf(click.card), /Sessions revoked/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), 1);
    assert.match(textOf(currentCard(teams, channel, card.id)), /Sessions revoked/, 'everyone in the channel sees the result');
  });

  const byText: [string, string, RegExp][] = [
    ['a $-prefixed UPN', 'revoke $svc-backup@contoso.onmicrosoft.com', /Backup Service/],
    ['a guest UPN with #EXT#', 'revoke gina_fabrikam.com#EXT#@contoso.onmicrosoft.com', /Gina Guest/],
    ['an object id', 'revoke 5A1F0C1E-2B1D-4C55-9A3E-7D2F9D0C6B11', /Megan Bowen/],
    ['a display name with one match', 'revoke Alex Wilber', /Alex Wilber/],
    ['a UPN with an apostrophe', "revoke liam.o'brien@contoso.onmicrosoft.com", /Liam O/],
  ];
  for (const [what, text, expected] of byText) {
    it(`when an agent types ${what}, then the lookup card shows that person and confirming revokes them by object id`, async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      const chat = teams.personalChat(uma);
      const card = await sendForCard(teams, uma, chat, text);
      assert.match(textOf(card.card), expected);
      const before = graph.count(GRAPH_ROUTES.revoke, uma.id);
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(textOf(click.card), /Sessions revoked/, textOf(click));
      assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), before + 1);
      const revokedPath = graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke).at(-1)?.path ?? '';
      assert.match(revokedPath, /\/v1\.0\/users\/[0-9a-f-]{36}\/revokeSignInSessions$/, 'revoked by object id');
    });
  }

  it('when the target is in a role-assignable group, then the card marks them privileged, a User Administrator is refused and a Privileged Authentication Administrator succeeds', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke lee.gu@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Privileged/);
    const refused = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(refused.card), /You can’t revoke/);
    assert.match(textOf(refused.card), /Privileged Authentication Administrator or Global Administrator/);
    const lee = directory.user('lee.gu');
    const untouched = lee.signInSessionsValidFromDateTime;
    const priyaCard = await sendForCard(teams, priya, teams.personalChat(priya), 'revoke lee.gu@contoso.onmicrosoft.com');
    const done = await teams.click(priya, priyaCard, 'Revoke sessions');
    assert.match(textOf(done.card), /Sessions revoked/);
    assert.notEqual(lee.signInSessionsValidFromDateTime, untouched);
    assert.equal(graph.count(GRAPH_ROUTES.revoke, priya.id), 1);
  });

  it('when the target is a guest, then the card warns that their home-tenant sessions are not ended', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke gina_fabrikam.com#EXT#@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /home organi[sz]ation/i);
    assert.match(textOf(card.card), /[Bb]lock/);
  });

  it('when a name matches several people, then a pick list is shown and picking one opens its card', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const list = await sendForCard(teams, uma, chat, 'revoke Megan');
    assert.match(textOf(list.card), /Megan Bowen/);
    assert.match(textOf(list.card), /Megan Bowman/);
    const picked = await teams.click(uma, list, 'revocation.pick');
    assert.match(textOf(picked.card), /Revoke sessions/);
    assert.match(textOf(picked.card), /Megan Bow(en|man)/);
  });

  it('when nobody matches, then the agent is told so and Graph is not written to', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const before = graph.count(GRAPH_ROUTES.revoke);
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke Zebedee');
    assert.match(textOf(card.card), /No one found/);
    assert.match(textOf(card.card), /Zebedee/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), before);
  });

  it('when anyone types revoke me, then their own sessions are revoked through /me with their own token, no admin role needed', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const adele = directory.user('adele');
    const chat = teams.personalChat(adele);
    const card = await sendForCard(teams, adele, chat, 'revoke me');
    assert.match(textOf(card.card), /Adele Vance/);
    const click = await teams.click(adele, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Sessions revoked/, textOf(click));
    assert.equal(graph.count(GRAPH_ROUTES.revokeMe, adele.id), 1);
  });

  it('when someone asks whoami, then the card shows their directory roles as Entra reports them and what they can revoke', async function () {
    const { teams, directory } = e2e.cloud;
    const helen = directory.user('helen');
    const card = await sendForCard(teams, helen, teams.personalChat(helen), 'whoami');
    assert.match(textOf(card.card), /Helen Helpdesk/);
    assert.match(textOf(card.card), /Helpdesk Administrator/);
    assert.match(textOf(card.card), /helen@contoso\.onmicrosoft\.com/);
  });

  it('when the text is help or unknown, then a help card with examples answers, without any sign-in', async function () {
    const { teams, directory, entra } = e2e.cloud;
    const grace = directory.user('grace');
    const tokenCalls = entra.server.count('token');
    const help = await sendForCard(teams, grace, teams.personalChat(grace), 'help');
    assert.match(textOf(help.card), /revoke @Adele/);
    const unknown = await sendForCard(teams, grace, teams.personalChat(grace), 'reboot the printer');
    assert.match(textOf(unknown.card), /reboot/);
    assert.equal(entra.server.count('token'), tokenCalls);
  });

  it('when the target is malformed, then it is refused before any Graph call with words that say what is wrong', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const calls = graph.server.calls.length;
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@@contoso.com');
    assert.match(textOf(card.card), /two @|not a valid/i);
    assert.equal(graph.server.calls.length, calls);
  });

  it('when the agent cancels, then the card says so for everyone and Graph is not written to', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke megan.bowen@contoso.onmicrosoft.com');
    const before = graph.count(GRAPH_ROUTES.revoke);
    const cancelled = await teams.click(uma, card, 'Cancel');
    assert.match(textOf(cancelled.card), /Cancelled/);
    assert.match(textOf(currentCard(teams, chat, card.id)), /Cancelled/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), before);
  });
});
