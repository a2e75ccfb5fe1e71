import assert from 'node:assert/strict';
import { SecretLikeValueError } from '../../src/app/ports/stateStore';
import { findSecretLikeContent, serializeWithoutSecrets } from '../../src/storage/secretGuard';
import { fakeJwt } from './stateStoreContract';

describe('secret guard for stored values', function () {
  it('when text holds a JWT, a bearer credential, a private key or an Entra client secret, then it names the kind', function () {
    assert.equal(findSecretLikeContent(`id_token=${fakeJwt()}&state=1`), 'jwt');
    assert.equal(findSecretLikeContent(`${fakeJwt().split('.').slice(0, 2).join('.')}.`), 'jwt', 'an unsigned (alg none) token too');
    assert.equal(findSecretLikeContent('authorization: bearer abcdefghijklmnopqrstuvwxyz0123'), 'bearer_credential');
    assert.equal(findSecretLikeContent('-----BEGIN EC PRIVATE KEY-----'), 'private_key');
    // Assembled at run time, so this file holds nothing shaped like a client secret.
    assert.equal(findSecretLikeContent(['Ab1', '8Q~', 'x'.repeat(34)].join('')), 'client_secret');
  });

  it('when text holds ordinary identifiers and prose, then nothing is found', function () {
    for (const text of [
      '6e7f8091-a2b3-4c5d-9e8f-1a2b3c4d5e6f',
      'adele.vance@contoso.onmicrosoft.com',
      'Adele Vance (Retail Manager)',
      'AADSTS50013: Assertion failed signature validation.',
      'the SSO token expired; the bearer must sign in again',
      'eyJ alone is not a token',
      'https://graph.microsoft.com/v1.0/users/6e7f8091/revokeSignInSessions',
      'client-request-id: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      'Basic auth is disabled',
    ]) {
      assert.equal(findSecretLikeContent(text), undefined, text);
    }
  });

  it('when a credential-named property holds a non-empty string, then serializing refuses it, whatever its content', function () {
    for (const name of [
      'password',
      'accessToken',
      'access_token',
      'refresh-token',
      'idToken',
      'clientSecret',
      'client_assertion',
      'Authorization',
      'token',
    ]) {
      assert.throws(() => serializeWithoutSecrets({ nested: [{ [name]: 'x' }] }), SecretLikeValueError, name);
    }
    assert.equal(
      serializeWithoutSecrets({ token: '', tokenExpiresAt: 'soon', passwordProfile: { forceChangePasswordNextSignIn: true } }),
      '{"token":"","tokenExpiresAt":"soon","passwordProfile":{"forceChangePasswordNextSignIn":true}}',
    );
  });

  it('when directory data or free text looks like a credential, then it is stored as it is: a job title, a department, names, a reason, audit detail', function () {
    const jwtShaped = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
    const value = {
      target: {
        displayName: `Ops ${jwtShaped}`,
        userPrincipalName: 'basic@contoso.com',
        jobTitle: 'Basic Telecommunications Lead',
        department: 'Bearer Operations and Logistics',
      },
      requester: { name: 'Bearer Tokenholder-Smithsonian' },
      reason: 'Basic auth/IMAP abuse',
      approval: { rejectReason: `pasted ${jwtShaped}` },
      items: [{ displayName: 'Basic Telecommunications Lead', userPrincipalName: 'x@contoso.com' }],
      command: { target: { kind: 'displayName', text: 'Basic Telecommunications' } },
      detail: 'Bulk run (department Basic Telecommunications Lead), attempt 1.',
    };
    assert.deepEqual(JSON.parse(serializeWithoutSecrets(value)), value);
  });

  it('when the same text sits in a field the bot fills itself (a code, an id, a note, a list of ids, a property name), then it is refused', function () {
    const jwtShaped = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
    assert.throws(
      () => serializeWithoutSecrets({ code: jwtShaped }),
      (e: unknown) => e instanceof SecretLikeValueError && e.kind === 'jwt',
    );
    assert.throws(
      () => serializeWithoutSecrets({ conversationId: 'Basic Telecommunications Lead' }),
      (e: unknown) => e instanceof SecretLikeValueError && e.kind === 'bearer_credential',
    );
    assert.throws(
      () => serializeWithoutSecrets({ candidateIds: ['6e7f8091-a2b3-4c5d-9e8f-1a2b3c4d5e6f', jwtShaped] }),
      SecretLikeValueError,
    );
    assert.throws(
      () => serializeWithoutSecrets({ displayName: [jwtShaped] }),
      SecretLikeValueError,
      'only a string directly under a free-text name is free text',
    );
    assert.throws(() => serializeWithoutSecrets({ [jwtShaped]: 1 }), SecretLikeValueError);
    assert.throws(() => serializeWithoutSecrets(jwtShaped), SecretLikeValueError, 'a bare value is not free text');
  });

  it('when a value is not JSON-serializable, then serializing throws a TypeError', function () {
    assert.throws(() => serializeWithoutSecrets(undefined), TypeError);
    assert.throws(() => serializeWithoutSecrets({ n: 1n }), TypeError);
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    assert.throws(() => serializeWithoutSecrets(cycle), TypeError);
  });
});
