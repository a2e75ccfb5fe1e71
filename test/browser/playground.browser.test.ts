import assert from 'node:assert/strict';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, PlaygroundPage, startDemo, type RunningDemo } from '../helpers/browserDemo';

describe('the browser demo: npm start with the Microsoft 365 Agents Playground in headless chromium', function () {
  this.timeout(120_000);
  let demo: RunningDemo | undefined;
  let browser: BrowserContext | undefined;
  let playground: PlaygroundPage;

  before(async function () {
    demo = await startDemo();
    browser = await launchChromium();
    playground = new PlaygroundPage(await browser.newPage());
    await playground.open(demo.url);
  });

  after(async function () {
    await browser?.close();
    await demo?.stop();
  });

  it('as Uma (User Administrator), revoke adele shows the lookup card, and Revoke sessions turns it into the success card', async function () {
    await playground.say('revoke adele');
    const lookup = await playground.waitForCard('Revoke sign-in sessions?');
    assert.match(await lookup.innerText(), /Adele Vance[\s\S]*adele@contoso\.onmicrosoft\.com/);
    assert.match(await lookup.innerText(), /Requested by Uma Useradmin/);
    await playground.screenshot(lookup, '1-lookup-card');
    await lookup.getByRole('button', { name: 'Revoke sessions' }).click();
    // The read-back that verifies the revoke updates the card just after the answer.
    const done = await playground.waitForCard(/Sessions revoked[\s\S]*\(verified\)/);
    const text = await done.innerText();
    assert.match(text, /Adele Vance/);
    assert.match(text, /Revoked by\s+Uma Useradmin/);
    assert.match(text, /\(verified\)/, 'the bot read the new valid-since time back from Graph');
    assert.match(text, /Access tokens already issued stay valid until they expire/);
    await playground.screenshot(done, '2-success-card');
  });

  it('as Adele (no admin role), a revoke is refused by Entra and the card says which roles would do', async function () {
    await playground.say('/as adele');
    await playground.waitForText(/You are now Adele Vance/);
    await playground.say('revoke alex');
    const lookup = await playground.waitForCard(/Revoke sign-in sessions\?[\s\S]*Alex Wilber/);
    await lookup.getByRole('button', { name: 'Revoke sessions' }).click();
    const refused = await playground.waitForCard(/can’t revoke this user’s sessions/);
    assert.match(await refused.innerText(), /User Administrator/);
    await playground.screenshot(refused, '3-refused-plain-user');
  });

  it('as Paul (Password Administrator), a privileged target (Grace, Global Administrator) is refused', async function () {
    await playground.say('/as paul');
    await playground.waitForText(/You are now Paul Password/);
    await playground.say('revoke grace');
    const lookup = await playground.waitForCard(/Revoke sign-in sessions\?[\s\S]*Grace Global/);
    assert.match(await lookup.innerText(), /Global Administrator/);
    await playground.screenshot(lookup, '4-lookup-privileged-target');
    await lookup.getByRole('button', { name: 'Revoke sessions' }).click();
    const refused = await playground.waitForCard(/can’t revoke this user’s sessions/);
    assert.match(await refused.innerText(), /Privileged Authentication Administrator/);
    await playground.screenshot(refused, '5-refused-privileged-target');
  });
});

describe('the browser demo with four eyes (npm start -- --approvals)', function () {
  this.timeout(120_000);
  let demo: RunningDemo | undefined;
  let browser: BrowserContext | undefined;
  let playground: PlaygroundPage;

  before(async function () {
    demo = await startDemo(['--approvals']);
    browser = await launchChromium();
    playground = new PlaygroundPage(await browser.newPage());
    await playground.open(demo.url);
  });

  after(async function () {
    await browser?.close();
    await demo?.stop();
  });

  it('Uma requests, Priya approves in the security channel, and both cards update', async function () {
    await playground.say('revoke adele');
    const lookup = await playground.waitForCard(/Adele Vance/);
    await lookup.getByRole('button', { name: 'Request revocation' }).click();
    const waiting = await playground.waitForCard(/Waiting for an approver/);
    await playground.screenshot(waiting, '6-requester-waiting');

    await playground.say('/as priya');
    await playground.waitForText(/You are now Priya Privauth/);
    await playground.chat('Security approvals');
    const channelCard = await playground.waitForCard(/Approval needed/);
    assert.match(await channelCard.innerText(), /Requested by\s+Uma Useradmin/);
    // The Playground has no user-specific views (refresh.userIds): Refresh shows Priya her approver view.
    await channelCard.getByRole('button', { name: 'Refresh' }).click();
    const approverView = await playground.waitForCard(/Approve and revoke/);
    await playground.screenshot(approverView, '7-approver-view');
    await approverView.getByRole('button', { name: 'Approve and revoke' }).click();
    const approved = await playground.waitForCard(/Approved — sessions revoked/);
    assert.match(await approved.innerText(), /Approved by Priya Privauth/);
    await playground.screenshot(approved, '8-channel-approved');

    await playground.chat('Personal Chat');
    await playground.waitForText(/Priya Privauth approved your request/);
    const requesterCard = await playground.waitForCard(/Approved — sessions revoked/);
    await playground.screenshot(requesterCard, '9-requester-updated');
    assert.match(await requesterCard.innerText(), /Requested by\s+Uma Useradmin/);
  });
});
