/**
 * The Bot Framework channel's side of inbound authentication: its signing keys, the OpenID
 * metadata and JWKS botbuilder fetches, and the tokens Teams attaches to every activity.
 */
import type { EmulatedServer } from '../httpServer';
import { json } from '../httpServer';
import { epochSeconds, SigningKeySet } from '../signingKeys';
import type { ChannelTokenOptions } from './types';

/** The issuer of channel tokens (ToBotFromChannelTokenIssuer). */
export const CHANNEL_ISSUER = 'https://api.botframework.com';

const METADATA_PATH = '/botframework/v1/.well-known/openidconfiguration';
const KEYS_PATH = '/botframework/v1/.well-known/keys';
const TOKEN_LIFETIME_IN_SECONDS = 60 * 60;
/** botbuilder allows 300 s of clock skew: an "expired" token must be well past that. */
const EXPIRED_BY_IN_SECONDS = 60 * 60;

export class ChannelAuthority {
  private constructor(readonly keys: SigningKeySet) {}

  /** Keys endorsed for msteams, as the public channel's keys are. */
  static async create(): Promise<ChannelAuthority> {
    return new ChannelAuthority(await SigningKeySet.create({ endorsements: ['msteams'] }));
  }

  /** Serves the metadata and keys on the server. */
  register(server: EmulatedServer): void {
    server.route('channelOpenIdMetadata', 'GET', METADATA_PATH, () =>
      json(200, {
        issuer: CHANNEL_ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${server.baseUrl}${KEYS_PATH}`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      }),
    );
    server.route('channelKeys', 'GET', KEYS_PATH, () => json(200, this.keys.jwks()));
  }

  /** ToBotFromChannelOpenIdMetadataUrl for a server that registered the routes. */
  static metadataUrl(server: EmulatedServer): string {
    return `${server.baseUrl}${METADATA_PATH}`;
  }

  /**
   * A channel token: only iss, aud, serviceurl, nbf and exp, like the public connector's. A `ver`
   * or `appid` claim would make botbuilder treat it as an emulator or skill token.
   */
  async mint(audience: string, serviceUrl: string, options: ChannelTokenOptions = {}): Promise<string> {
    const now = epochSeconds();
    const exp = options.expired ? now - EXPIRED_BY_IN_SECONDS : now + TOKEN_LIFETIME_IN_SECONDS;
    return this.keys.sign(
      {
        iss: options.issuer ?? CHANNEL_ISSUER,
        aud: options.audience ?? audience,
        serviceurl: options.serviceUrl ?? serviceUrl,
        nbf: exp - TOKEN_LIFETIME_IN_SECONDS - 300,
        exp,
      },
      { forge: options.forge },
    );
  }
}
