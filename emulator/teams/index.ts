/** The emulated Teams channel, connector and client. */
export { EmulatedTeams, CONNECTOR_AUDIENCE, TEAMS_WAIT_IN_MS } from './emulatedTeams';
export type { EmulatedTeamsOptions, SendOptions, ClickOptions, TeamsEntra } from './emulatedTeams';
export { CONNECTOR_ROUTES } from './connector';
export { CHANNEL_ISSUER } from './channelAuth';
export { LOGIN_REQUEST, CARD_RESPONSE, MESSAGE_RESPONSE } from './cards';
export { ADAPTIVE_CARD, OAUTH_CARD } from './transcript';
export type * from './types';
