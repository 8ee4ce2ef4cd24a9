// Turns a list of validation problems into one user error reporting all of them.
import { userError, type Problem, type TrcError } from '@trc/core';

export function invalid(problems: readonly Problem[]): TrcError {
  const first = problems[0];
  const message = problems.length === 1 && first !== undefined ? `${first.path === '' ? '' : `${first.path}: `}${first.message}` : `${problems.length} problems in the input`;
  return userError('TRC_INVALID_INPUT', message, problems.length === 1 ? first?.hint : 'each problem is listed with its path', { problems });
}
