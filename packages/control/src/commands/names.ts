// Names of orgs, apps, process types and nodes: DNS labels, so they fit hostnames and paths unchanged.
import type { Problem } from '@trc/core';

export const NAME_RULE = '1 to 63 lowercase letters, digits and "-", starting with a letter and not ending with "-"';

export function isName(value: string): boolean {
  return /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(value);
}

export function nameProblem(value: string, path: string, what: string): Problem[] {
  return isName(value) ? [] : [{ path, code: 'TRC_INVALID_INPUT', message: `${what} "${value.slice(0, 80)}" is not a valid name`, hint: `use ${NAME_RULE}` }];
}
