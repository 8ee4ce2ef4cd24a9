// The naming rule for apps, process types, routes and volumes: a DNS label that starts with a letter,
// so every name can appear in a hostname, a cgroup path and a volume name without escaping.
import type { Problem } from '../errors/errors.ts';
import { problem } from './fields.ts';

export const NAME_RULE = 'a DNS label: 1 to 63 lowercase letters, digits and "-", starting with a letter and not ending with "-"';

const NAME = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** A problem when `name` breaks the rule, with a corrected name as hint when one is obvious. */
export function checkName(name: string, path: string, what: string): Problem | undefined {
  if (isValidName(name)) return undefined;
  const fixed = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 63).replace(/-+$/, '');
  const hint = isValidName(fixed) ? `did you mean "${fixed}"?` : `use ${NAME_RULE}`;
  return problem(path, 'TRC_MANIFEST_INVALID_NAME', `${what} name "${name}" is not ${NAME_RULE}`, hint);
}
