import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';

describe('containment beyond revocation, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a User Administrator ticks every step, then the account is disabled and the password reset with their token, and the device step reports Entra’s refusal on its own line', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const adele = directory.user('adele');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Also contain the account/);
    const done = await teams.click(uma, card, 'Revoke sessions', {
      inputs: { disableAccount: 'true', resetPassword: 'true', disableDevices: 'true' },
    });
    const text = textOf(done.card);
    assert.match(text, /Sessions revoked/);
    assert.match(text, /✓ Account disabled/);
    assert.match(text, /✓ Password reset to a random one nobody saw/);
    assert.match(text, /✗ Devices: 0 of 2 devices disabled; not done — Entra refused: it needs Cloud Device Administrator/);
    assert.equal(adele.accountEnabled, false);
    assert.equal(adele.passwordProfile?.forceChangePasswordNextSignIn, true);
    assert.equal(graph.count(GRAPH_ROUTES.updateUser, uma.id), 2, 'both writes used Uma’s own token');
    const devices = [...directory.devices.values()].filter((d) => d.ownerId === adele.id);
    assert.ok(
      devices.every((d) => d.accountEnabled),
      'a User Administrator may not disable devices',
    );
    const audit = e2e.logs.join('');
    assert.doesNotMatch(audit, /"password":"[^[]/, 'the password never reaches the log');
    adele.accountEnabled = true;
  });

  it('when a Global Administrator ticks “disable devices”, then every registered device is disabled and the card counts them', async function () {
    const { teams, directory } = e2e.cloud;
    const grace = directory.user('grace');
    const adele = directory.user('adele');
    const card = await sendForCard(teams, grace, teams.personalChat(grace), 'revoke adele@contoso.onmicrosoft.com');
    const done = await teams.click(grace, card, 'Revoke sessions', { inputs: { disableDevices: 'true' } });
    assert.match(textOf(done.card), /✓ Devices: 2 of 2 devices disabled/);
    assert.ok([...directory.devices.values()].filter((d) => d.ownerId === adele.id).every((d) => !d.accountEnabled));
    assert.equal(adele.accountEnabled, true, 'steps not ticked do not run');
  });

  it('sign-in with a known password between the revoke and the disable: on the wire the account is disabled and the password reset before the revoke, the devices after it', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const grace = directory.user('grace');
    const lee = directory.user('lee.gu');
    directory.addDevice({ displayName: 'LEE-LAPTOP', ownerId: lee.id });
    const card = await sendForCard(teams, grace, teams.personalChat(grace), `revoke ${lee.userPrincipalName}`);
    const before = graph.server.calls.length;
    const done = await teams.click(grace, card, 'Revoke sessions', {
      inputs: { disableAccount: 'true', resetPassword: 'true', disableDevices: 'true' },
    });
    assert.match(textOf(done.card), /Sessions revoked/, textOf(done));
    // The read-back that verifies the revoke runs after the answer: once the card says verified, it is on the wire too.
    await teams.waitForMessage(teams.personalChat(grace), (m) => m.id === card.id && textOf(m.card).includes('(verified)'), 10_000);
    const wire = graph.server.calls.slice(before).filter((c) => c.caller === grace.id);
    assert.deepEqual(
      wire.map((c) => `${c.route} ${c.status}`),
      [
        `${GRAPH_ROUTES.updateUser} 204`,
        `${GRAPH_ROUTES.updateUser} 204`,
        `${GRAPH_ROUTES.revoke} 200`,
        `${GRAPH_ROUTES.registeredDevices} 200`,
        `${GRAPH_ROUTES.updateDevice} 204`,
        `${GRAPH_ROUTES.getUser} 200`,
      ],
    );
    assert.ok(
      wire.slice(0, 3).every((c) => c.path.toLowerCase().includes(lee.id)),
      'the writes before the revoke are about Lee',
    );
    assert.equal(lee.accountEnabled, false);
    lee.accountEnabled = true;
  });

  it('when Entra refuses to disable the account, then the revoke still runs and the card shows each step on its own line', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const helen = directory.user('helen');
    const megan = directory.user('megan.bowman');
    const card = await sendForCard(teams, helen, teams.personalChat(helen), `revoke ${megan.userPrincipalName}`);
    const before = graph.server.calls.length;
    const done = await teams.click(helen, card, 'Revoke sessions', { inputs: { disableAccount: 'true', resetPassword: 'true' } });
    const text = textOf(done.card);
    assert.match(text, /Sessions revoked/, text);
    assert.match(text, /✗ Disable the account: not done — Entra refused/);
    assert.match(text, /✓ Password reset to a random one nobody saw/);
    const wire = graph.server.calls.slice(before).filter((c) => c.caller === helen.id);
    assert.deepEqual(wire.map((c) => `${c.route} ${c.status}`).slice(0, 3), [
      `${GRAPH_ROUTES.updateUser} 403`,
      `${GRAPH_ROUTES.updateUser} 204`,
      `${GRAPH_ROUTES.revoke} 200`,
    ]);
    assert.equal(megan.accountEnabled, true);
  });

  it('when the tenant has not consented to the containment permissions, then revocation still works and only the steps say why not', async function () {
    const { teams, directory, app } = e2e.cloud;
    const consented = app.consentedGraphScopes.splice(0);
    // Everything but the containment permissions.
    app.consentedGraphScopes.push(
      ...consented.filter(
        (scope) => !['User.EnableDisableAccount.All', 'User-PasswordProfile.ReadWrite.All', 'Directory.AccessAsUser.All'].includes(scope),
      ),
    );
    try {
      const aaron = directory.user('aaron');
      const card = await sendForCard(teams, aaron, teams.personalChat(aaron), 'revoke alex@contoso.onmicrosoft.com');
      const done = await teams.click(aaron, card, 'Revoke sessions', { inputs: { disableAccount: 'true' } });
      assert.match(textOf(done.card), /Sessions revoked/);
      assert.match(textOf(done.card), /✗ Disable the account: not done — the app isn’t approved/);
      assert.equal(directory.user('alex').accountEnabled, true);
    } finally {
      app.consentedGraphScopes.splice(0, app.consentedGraphScopes.length, ...consented);
    }
  });
  /** Withholds consent for these permissions while `run` runs (as a tenant admin who never granted them). */
  async function withoutConsentFor(permissions: string[], run: () => Promise<void>): Promise<void> {
    const { app } = e2e.cloud;
    const consented = app.consentedGraphScopes.splice(0);
    app.consentedGraphScopes.push(...consented.filter((scope) => !permissions.includes(scope)));
    try {
      await run();
    } finally {
      app.consentedGraphScopes.splice(0, app.consentedGraphScopes.length, ...consented);
    }
  }

  /** The card's text with markdown's escaped dots (User\\.Read\\.All) shown as Teams shows them. */
  function shownText(card: unknown): string {
    return textOf(card).replaceAll('\\\\.', '.');
  }

  function adeleDevices() {
    const { directory } = e2e.cloud;
    return [...directory.devices.values()].filter((d) => d.ownerId === directory.user('adele').id);
  }

  it('when the tenant has not consented to Directory.AccessAsUser.All, then only the devices step is not done, and the card names what an admin must grant', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const grace = directory.user('grace');
    const adele = directory.user('adele');
    for (const device of adeleDevices()) device.accountEnabled = true;
    await withoutConsentFor(['Directory.AccessAsUser.All'], async () => {
      const card = await sendForCard(teams, grace, teams.personalChat(grace), 'revoke adele@contoso.onmicrosoft.com');
      const deviceWrites = graph.count(GRAPH_ROUTES.updateDevice);
      const done = await teams.click(grace, card, 'Revoke sessions', {
        inputs: { disableAccount: 'true', resetPassword: 'true', disableDevices: 'true' },
      });
      const text = shownText(done.card);
      assert.match(text, /Sessions revoked/);
      assert.match(text, /✓ Account disabled/);
      assert.match(text, /✓ Password reset to a random one nobody saw/);
      assert.match(
        text,
        /✗ Devices: not done — the app isn’t approved for this step yet: an Entra admin can grant admin consent for User\.Read\.All, Device\.Read\.All and Directory\.AccessAsUser\.All/,
      );
      assert.equal(adele.accountEnabled, false);
      assert.ok(
        adeleDevices().every((d) => d.accountEnabled),
        'no device was touched',
      );
      assert.equal(graph.count(GRAPH_ROUTES.updateDevice), deviceWrites, 'without a token for the devices step nothing reached Graph');
    });
    adele.accountEnabled = true;
  });

  it('when the tenant has not consented to the account permissions, then the devices step still runs with its own scopes', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const grace = directory.user('grace');
    const adele = directory.user('adele');
    for (const device of adeleDevices()) device.accountEnabled = true;
    await withoutConsentFor(['User.EnableDisableAccount.All', 'User-PasswordProfile.ReadWrite.All'], async () => {
      const card = await sendForCard(teams, grace, teams.personalChat(grace), 'revoke adele@contoso.onmicrosoft.com');
      const gracesDeviceWrites = graph.count(GRAPH_ROUTES.updateDevice, grace.id);
      const done = await teams.click(grace, card, 'Revoke sessions', { inputs: { disableAccount: 'true', disableDevices: 'true' } });
      const text = shownText(done.card);
      assert.match(text, /Sessions revoked/);
      assert.match(
        text,
        /✗ Disable the account: not done — the app isn’t approved for this step yet: an Entra admin can grant admin consent for User\.EnableDisableAccount\.All, User\.Read\.All and User-PasswordProfile\.ReadWrite\.All/,
      );
      assert.match(text, /✓ Devices: 2 of 2 devices disabled/);
      assert.equal(adele.accountEnabled, true);
      assert.ok(adeleDevices().every((d) => !d.accountEnabled));
      assert.equal(graph.count(GRAPH_ROUTES.updateDevice, grace.id) - gracesDeviceWrites, 2, 'both with Grace’s own token');
    });
  });
});
