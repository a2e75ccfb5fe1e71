import assert from 'node:assert/strict';
import type { AuditFilter, AuditRecord } from '../../src/app/ports/auditLog';
import { VERB } from '../../src/cards/verbs';
import { systemClock } from '../../src/domain/clock';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { DirectoryUser } from '../../emulator/directory';
import type { Conversation, EmulatedTeams, PostedMessage, Team } from '../../emulator/teams';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { requestIdOf, sendForCard, textOf } from '../helpers/flows';

/** One lookup turn that must end with a lookup card. */
async function lookup(teams: EmulatedTeams, who: DirectoryUser, chat: Conversation, text: string): Promise<void> {
  const card = await sendForCard(teams, who, chat, text);
  assert.match(textOf(card.card), /Revoke sessions/, textOf(card.card));
}

function graphCallsBy(e2e: E2E, oid: string): number {
  return e2e.cloud.graph.server.calls.filter((c) => c.caller === oid.toLowerCase()).length;
}

/** The audit trail as it is on disk, oldest first. */
async function auditRecords(e2e: E2E, filter: AuditFilter = {}): Promise<AuditRecord[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
  try {
    return (await storage.audit.list({ ...filter, limit: 1000 })).reverse();
  } finally {
    await storage.close();
  }
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`never: ${what}`);
}

/** A forged card action: the verb and request id as a hostile client would send them, with the sender's own SSO token. */
async function forgedClick(
  e2e: E2E,
  from: DirectoryUser,
  chat: Conversation,
  message: PostedMessage,
  verb: string,
  requestId: string,
): Promise<{ status: number; body: unknown }> {
  const { teams, entra, app } = e2e.cloud;
  const token = await entra.issueSsoToken(from.id, { appId: app.appId });
  return teams.postActivity(
    teams.invokeActivityFor(from, chat, message, 'adaptiveCard/action', {
      action: { type: 'Action.Execute', verb, data: { requestId } },
      trigger: 'manual',
      authentication: { id: 'x', connectionName: 'c', token },
    }),
  );
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

      const notices = teams.messages(umaChat).filter((m) => m.fromBot && textOf(m.card).includes('Slow down'));
      assert.equal(notices.length, 1, 'told once, not once per message');
      assert.match(textOf(notices[0]?.card), /You are sending requests faster than Session Revoker allows[^"]*Try again in \d+ seconds?\./);
      const lookups = teams.messages(umaChat).filter((m) => m.fromBot && textOf(m.card).includes('Revoke sessions'));
      assert.equal(lookups.length, 10, 'exactly the limit was served');
      // Two reads per lookup, plus her own roles and PIM eligibility read once for her session (the "can I?" line).
      assert.ok(graphCallsBy(e2e, uma.id) <= 10 * 2 + 2, `${graphCallsBy(e2e, uma.id)} Graph calls for 10 lookups`);
      // Helen's four lookups were each served in full (two Graph reads apiece), and she was never told to slow down.
      assert.equal(graphCallsBy(e2e, helen.id) - helenGraphCallsBefore, 4 * 2);
      assert.equal(teams.messages(helenChat).filter((m) => m.fromBot && textOf(m.card).includes('Slow down')).length, 0);
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
      assert.match(
        third.message ?? '',
        /revocations faster than Session Revoker allows, so this one was not run\. Try again in \d+ seconds?\./,
        textOf(third),
      );
      assert.equal(graph.count(GRAPH_ROUTES.revoke, priya.id) - before, 2);
      const requestId = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(cards[0]!.card))?.[1];
      const replay = await teams.postActivity(
        teams.invokeActivityFor(priya, chat, cards[0]!, 'adaptiveCard/action', {
          action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId } },
          trigger: 'manual',
        }),
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
      for (const name of ['uma', 'helen', 'grace'])
        await sendForCard(teams, directory.user(name), teams.personalChat(directory.user(name)), 'revoke adele@contoso.onmicrosoft.com');
      const sam = directory.user('sam');
      const card = await sendForCard(teams, sam, teams.personalChat(sam), 'revoke adele@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /Your organisation is sending requests faster than Session Revoker allows/);
      assert.equal(graphCallsBy(e2e, sam.id), 0);
    });
  });
});

describe('floods of card actions and sign-in invokes, end to end', function () {
  this.timeout(60_000);

  describe('limits on every invoke', function () {
    let e2e: E2E;
    let channel: Conversation;

    before(async function () {
      let team: Team | undefined;
      e2e = await startE2E({
        env: { RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '10' },
        prepare: (cloud) => {
          const d = cloud.directory;
          team = cloud.teams.team('Security Operations', [d.user('paul'), d.user('grace'), d.user('uma')], { botInstalled: false });
          channel = team.channel('Revocation approvals');
          return { SECURITY_CHANNEL_ID: channel.id };
        },
      });
      await e2e.cloud.teams.installBot(team!, e2e.cloud.directory.user('grace'));
    });

    after(async function () {
      await e2e?.stop();
    });

    it('forged approve clicks: when an approver whom Entra will not let revoke floods Approve, then no more than their limit reaches Graph or the audit trail, and another approver still approves at once', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const [uma, paul, grace] = ['uma', 'paul', 'grace'].map((n) => directory.user(n)) as [DirectoryUser, DirectoryUser, DirectoryUser];
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
      const sent = await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-1' } });
      assert.match(textOf(sent.card), /Waiting for an approver/, textOf(sent));
      const approval = teams
        .messages(channel)
        .filter((m) => m.fromBot && m.card)
        .at(-1)!;
      const requestId = requestIdOf(approval.card);

      // One refused attempt shows what a single Approve costs: Graph calls and audit records by Paul.
      const first = await forgedClick(e2e, paul, channel, approval, VERB.approve, requestId);
      assert.match(textOf(first.body), /stays open for another approver/, textOf(first.body));
      const graphPerApprove = graphCallsBy(e2e, paul.id);
      const recordsPerApprove = (await auditRecords(e2e, { actorId: paul.id })).length;
      assert.ok(graphPerApprove >= 1 && recordsPerApprove >= 1);

      const answers = [];
      for (let i = 0; i < 39; i += 1) answers.push(await forgedClick(e2e, paul, channel, approval, VERB.approve, requestId));
      const limited = answers.filter((a) => textOf(a.body).includes('faster than Session Revoker allows'));
      assert.equal(limited.length, 39 - 9, 'the first ten clicks were served, every later one refused before any work');
      assert.equal(graph.count(GRAPH_ROUTES.revoke, paul.id), 10);
      assert.equal(graphCallsBy(e2e, paul.id), 10 * graphPerApprove);
      assert.equal((await auditRecords(e2e, { actorId: paul.id })).length, 10 * recordsPerApprove);

      const approved = await forgedClick(e2e, grace, channel, approval, VERB.approve, requestId);
      assert.match(textOf(approved.body), /Approved/, textOf(approved.body));
      assert.equal(graph.count(GRAPH_ROUTES.revoke, grace.id), 1);
    });

    it('sign-in floods: when one person floods token exchanges and magic codes, then the sign-in invokes beyond their limit are refused before any token check, and another person signs in at once', async function () {
      const { teams, directory, entra, app } = e2e.cloud;
      const helen = directory.user('helen');
      const chat = teams.personalChat(helen);
      const card = await sendForCard(teams, helen, chat, 'revoke adele@contoso.onmicrosoft.com');
      const expired = await entra.issueSsoToken(helen.id, { appId: app.appId, expired: true });
      const exchanges = [];
      for (let i = 0; i < 25; i += 1) {
        exchanges.push(
          await teams.postActivity(
            teams.invokeActivityFor(helen, chat, card, 'signin/tokenExchange', {
              id: `exchange-${i}`,
              connectionName: 'revoker-sso',
              token: expired,
            }),
          ),
        );
      }
      assert.ok(
        exchanges.every((a) => a.status === 412),
        'the token exchange protocol’s “could not exchange”, every time',
      );
      const limited = exchanges.filter((a) => textOf(a.body).includes('sign-ins faster than Session Revoker allows'));
      // Helen's own sign-in before the flood took one of her ten.
      assert.equal(limited.length, 25 - 9);
      const code = await teams.postActivity(teams.invokeActivityFor(helen, chat, card, 'signin/verifyState', { state: '123456' }));
      assert.equal(code.status, 429);
      assert.equal(
        (await auditRecords(e2e, { actorId: helen.id })).filter((r) => r.action === 'signin.refused').length,
        1,
        'one refusal on record while the flood goes on',
      );

      const grace = directory.user('grace');
      const graces = await sendForCard(teams, grace, teams.personalChat(grace), 'revoke alex@contoso.onmicrosoft.com');
      assert.match(textOf(graces.card), /Revoke sessions|Request revocation/);
    });
  });
});

describe('audit flooding, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;

  before(async function () {
    // Limits high enough that every forged invoke reaches its handler: what is measured here is the audit trail.
    e2e = await startE2E({ env: { RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '1000' } });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('audit flooding: when one person floods forged confirm clicks and sign-in token exchanges, then the trail holds their first refusal of each kind at once and one record with the count for the rest, written by shutdown, and another person’s refusal is recorded as usual', async function () {
    const { teams, directory, entra, app } = e2e.cloud;
    const [helen, uma, sam] = ['helen', 'uma', 'sam'].map((n) => directory.user(n)) as [DirectoryUser, DirectoryUser, DirectoryUser];
    const group = teams.groupChat([helen, uma, sam]);
    const card = await sendForCard(teams, helen, group, 'revoke alex@contoso.onmicrosoft.com');
    const requestId = requestIdOf(card.card);
    const graphBefore = graphCallsBy(e2e, uma.id);
    const expired = await entra.issueSsoToken(uma.id, { appId: app.appId, expired: true });
    const exchange = (i: number): Promise<{ status: number; body: unknown }> =>
      teams.postActivity(
        teams.invokeActivityFor(uma, group, card, 'signin/tokenExchange', {
          id: `exchange-${i}`,
          connectionName: 'revoker-sso',
          token: expired,
        }),
      );

    for (let batch = 0; batch < 5; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          Promise.all([forgedClick(e2e, uma, group, card, VERB.confirm, requestId), exchange(batch * 10 + i)]),
        ),
      );
      for (const [click, signIn] of answers) {
        assert.match(textOf(click.body), /belongs to someone else|Only .* can/, textOf(click.body));
        assert.equal(signIn.status, 412);
      }
    }
    const other = await forgedClick(e2e, sam, group, card, VERB.confirm, requestId);
    assert.equal(other.status, 200);

    const refusalsBy = async (who: DirectoryUser): Promise<AuditRecord[]> =>
      (await auditRecords(e2e, { actorId: who.id })).filter((r) => r.outcome === 'refused');
    await eventually(async () => (await refusalsBy(uma)).length === 2 && (await refusalsBy(sam)).length === 1, 'the first refusals land');
    const during = await refusalsBy(uma);
    assert.deepEqual(
      during.map((r) => r.action).sort(),
      ['request.refused', 'signin.refused'],
      'one record per kind while the flood goes on',
    );
    assert.equal(during.find((r) => r.action === 'request.refused')?.code, 'not_requester');
    assert.equal(
      (await refusalsBy(sam))[0]?.action,
      'request.refused',
      'another person is recorded at once, not counted into Uma’s window',
    );
    assert.equal(graphCallsBy(e2e, uma.id), graphBefore, 'no Graph call for any of it');

    // A graceful stop writes the summaries of the windows still open.
    await e2e.restartBot();
    const after = await refusalsBy(uma);
    assert.equal(after.length, 4, after.map((r) => `${r.action}:${String(r.code)}`).join(' '));
    for (const action of ['request.refused', 'signin.refused'] as const) {
      const [first, summary] = after.filter((r) => r.action === action);
      assert.notEqual(first?.code, 'repeated');
      assert.equal(summary?.code, 'repeated');
      assert.match(
        summary?.detail ?? '',
        new RegExp(`^49 more like this from the same person \\(${String(first?.code)} ×49\\) between `),
        summary?.detail,
      );
    }
    assert.equal(
      after.find((r) => r.action === 'request.refused' && r.code === 'repeated')?.requestId,
      requestId,
      'all about one request: the summary names it',
    );
  });
});
