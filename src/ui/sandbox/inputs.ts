/** Small conversions between the knob panel's form controls and knob values (the resolvers judge the result). */
import { KNOWN_SCOPES } from './knobModel.ts';

/** A number input's text as the knob's candidate value. */
export function toInteger(text: string): unknown {
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

export const numberText = (v: unknown): string => (typeof v === 'number' ? String(v) : '');
export const scopeList = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
export const toggledScopes = (list: string[], scope: string, on: boolean) => KNOWN_SCOPES.filter((s) => (s === scope ? on : list.includes(s)));
export const choiceText = (choice: string, secure: unknown) => (choice === secure ? `${choice} (secure default)` : choice);
/** `aria-describedby` for a control: its description, and its problem when it has one. */
export const describedBy = (id: string, problem: string | undefined) => `${id}-desc${problem ? ` ${id}-problem` : ''}`;
