/**
 * Reads the containment toggles from an Action.Execute's data (Teams merges input values into
 * it as the strings "true"/"false"). Anything else counts as not ticked: deny by default.
 */
import type { ContainmentChoice } from '../domain/revocationRequest';

export const CONTAINMENT_INPUT_IDS = {
  disableAccount: 'disableAccount',
  resetPassword: 'resetPassword',
  disableDevices: 'disableDevices',
} as const;

export function containmentFrom(data: Record<string, unknown>): ContainmentChoice | undefined {
  const ticked = (id: string): boolean => data[id] === 'true' || data[id] === true;
  const choice: ContainmentChoice = {
    disableAccount: ticked(CONTAINMENT_INPUT_IDS.disableAccount),
    resetPassword: ticked(CONTAINMENT_INPUT_IDS.resetPassword),
    disableDevices: ticked(CONTAINMENT_INPUT_IDS.disableDevices),
  };
  return choice.disableAccount || choice.resetPassword || choice.disableDevices ? choice : undefined;
}
