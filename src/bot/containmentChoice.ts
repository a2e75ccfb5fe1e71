/**
 * Reads the containment toggles from an Action.Execute's data (Teams merges input values into
 * it as the strings "true"/"false"). Anything else counts as not ticked: deny by default. Methods
 * to remove come as `removeMethod_{list key}_{position}` toggles; only ticks on one list count,
 * and the request decides whether that is the list it holds (planContainment).
 */
import type { ContainmentChoice } from '../domain/revocationRequest';

export const CONTAINMENT_INPUT_IDS = {
  disableAccount: 'disableAccount',
  resetPassword: 'resetPassword',
  disableDevices: 'disableDevices',
  confirmCompromised: 'confirmCompromised',
} as const;

const METHOD_TOGGLE = /^removeMethod_([A-Za-z0-9-]{1,36})_(\d{1,2})$/;

export function containmentFrom(data: Record<string, unknown>): ContainmentChoice | undefined {
  const isTicked = (value: unknown): boolean => value === 'true' || value === true;
  const ticked = (id: string): boolean => isTicked(data[id]);
  let methodsKey: string | undefined;
  const removeMethods: number[] = [];
  for (const [id, value] of Object.entries(data)) {
    const match = METHOD_TOGGLE.exec(id);
    if (!match || !isTicked(value)) continue;
    methodsKey ??= match[1];
    if (match[1] === methodsKey) removeMethods.push(Number(match[2]));
  }
  const choice: ContainmentChoice = {
    disableAccount: ticked(CONTAINMENT_INPUT_IDS.disableAccount),
    resetPassword: ticked(CONTAINMENT_INPUT_IDS.resetPassword),
    disableDevices: ticked(CONTAINMENT_INPUT_IDS.disableDevices),
    ...(ticked(CONTAINMENT_INPUT_IDS.confirmCompromised) ? { confirmCompromised: true } : {}),
    ...(removeMethods.length > 0 ? { removeMethods: removeMethods.sort((a, b) => a - b), methodsKey } : {}),
  };
  return choice.disableAccount || choice.resetPassword || choice.disableDevices || choice.confirmCompromised || removeMethods.length > 0
    ? choice
    : undefined;
}
