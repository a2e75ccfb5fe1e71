import assert from 'node:assert/strict';
import { VERB } from '../../src/cards/verbs';
import { GRAPH_ROUTES } from '../../src/emulator/graph';
import type { DirectoryUser } from '../../src/emulator/directory';
import type { Conversation, EmulatedTeams } from '../../src/emulator/teams';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';

/** One lookup turn that must end with a lookup card. */
async function lookup(teams: EmulatedTeams, who: DirectoryUser, chat: Conversation, text: string): Promise<void> {
  const card = await sendForCard(teams, who, chat, text);
  assert.match(textOf(card.card), /Revoke sessions/, textOf(card.card));
}

function graphCallsBy(e2e: E2E, oid: string): number {
  return e2e.cloud.graph.server.calls.filter((c) => c.caller === oid.toLowerCase()).length;
}

describe('rate limits, end to end', function () {
  this.timeout(30_000);

  describe('per person', function () {
    let e2e: E2E;

    before(async function () {
      e2e = await startE2E({ env: { RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '10', RATE_LIMIT_USER_REVOKES_PER_MINUTE: '2' } });
    });

    after(async function () {
      await e2e?.stop();
    });

    it('when one person floods the bot, then they are told once when to try again, nothing beyond their limit reaches Graph, and another person’s turns are neither limited nor told to slow down', async function () {
      const { teams, directory } = e2e.cloud;
      const uma = directory.user('uma');
      const helen = directory.user('helen');
      const umaChat = teams.personalChat(uma);
      const helenChat = teams.personalChat(helen);
      // Both sign in first; Helen is measured warm, before the flood.
      await sendForCard(teams, uma, umaChat, 'revoke adele@contoso.onmicrosoft.com');
      await sendForCard(teams, helen, helenChat, 'revoke adele@contoso.onmicrosoft.com');
      const helenGraphCallsBefore = graphCallsBy(e2e, helen.id);

      const flood = async (): Promise<void> => {
        for (let i = 0; i < 25; i += 1) await teams.send(uma, umaChat, `revoke megan.bowen@contoso.onmicrosoft.com`);
      };
      const helenDuringFlood = async (): Promise<void> => {
        for (let i = 0; i < 4; i += 1) {
          await new Promise((r) => setTimeout(r, 30));
          await lookup(teams, helen, helenChat, 'revoke alex@contoso.onmicrosoft.com');
        }
      };
      await Promise.all([flood(), flood(), flood(), flood(), helenDuringFlood()]);

      const notices = teams.messages(umaChat).filter((m) => m.fromBot && /Slow down/.test(textOf(m.card)));
      assert.equal(notices.length, 1, 'told once, not once per message');
      assert.match(textOf(notices[0]?.card), /You are sending requests faster than Session Revoker allows[^"]*Try again in \d+ seconds?\./);
      const lookups = teams.messages(umaChat).filter((m) => m.fromBot && /Revoke sessions/.test(textOf(m.card)));
      assert.equal(lookups.length, 10, 'exactly the limit was served');
      assert.ok(graphCallsBy(e2e, uma.id) <= 10 * 2, `${graphCallsBy(e2e, uma.id)} Graph calls for 10 lookups`);
      // Helen's four lookups were each served in full (two Graph reads apiece), and she was never told to slow down.
      assert.equal(graphCallsBy(e2e, helen.id) - helenGraphCallsBefore, 4 * 2);
      assert.equal(teams.messages(helenChat).filter((m) => m.fromBot && /Slow down/.test(textOf(m.card))).length, 0);
    });

    it('when a person confirms more revocations than their limit allows, then the extra click is answered with when to try again and nothing is revoked', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const priya = directory.user('priya');
      const chat = teams.personalChat(priya);
      const targets = ['adele', 'alex', 'megan.bowen'];
      const cards = [];
      for (const t of targets) cards.push(await sendForCard(teams, priya, chat, `revoke ${t}@contoso.onmicrosoft.com`));
      const before = graph.count(GRAPH_ROUTES.revoke, priya.id);
      const first = await teams.click(priya, cards[0]!, 'Revoke sessions');
      const second = await teams.click(priya, cards[1]!, 'Revoke sessions');
      assert.match(textOf(first.card), /Sessions revoked/);
      assert.match(textOf(second.card), /Sessions revoked/);
      const third = await teams.click(priya, cards[2]!, 'Revoke sessions');
      assert.match(third.message ?? '', /revocations faster than Session Revoker allows, so this one was not run\. Try again in \d+ seconds?\./, textOf(third));
      assert.equal(graph.count(GRAPH_ROUTES.revoke, priya.id) - before, 2);
      const requestId = /"requestId":"([0-9a-f-]{36})"/.exec(textOf(cards[0]!.card))?.[1];
      const replay = await teams.postActivity(
        teams.invokeActivityFor(priya, chat, cards[0]!, 'adaptiveCard/action', { action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId } }, trigger: 'manual' }),
      );
      assert.match(textOf(replay.body), /Sessions revoked/, 'a replayed click on a finished request still shows its result, not the limit');
    });
  });

  describe('per organisation', function () {
    let e2e: E2E;

    before(async function () {
      e2e = await startE2E({ env: { RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: '3' } });
    });

    after(async function () {
      await e2e?.stop();
    });

    it('when the organisation reaches its limit, then the next person is told their organisation is over it and nothing reaches Graph', async function () {
      const { teams, directory } = e2e.cloud;
      for (const name of ['uma', 'helen', 'grace']) await sendForCard(teams, directory.user(name), teams.personalChat(directory.user(name)), 'revoke adele@contoso.onmicrosoft.com');
      const sam = directory.user('sam');
      const card = await sendForCard(teams, sam, teams.personalChat(sam), 'revoke adele@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /Your organisation is sending requests faster than Session Revoker allows/);
      assert.equal(graphCallsBy(e2e, sam.id), 0);
    });
  });
});
