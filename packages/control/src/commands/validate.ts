// Turns a list of validation problems into one user error reporting all of them.
import { userError, type Problem, type TrcError } from '@trc/core';

export function invalid(problems: readonly Problem[]): TrcError {
  const first = problems[0];
  const message = problems.length === 1 && first !== undefined ? `${first.path === '' ? '' : `${first.path}: `}${first.message}` : `${problems.length} problems in the input`;
  // When every problem is of one kind (say TRC_SECRET_KEY_INVALID), that is the error's code too.
  const codes = new Set(problems.map((p) => p.code));
  const code = codes.size === 1 && first !== undefined ? first.code : 'TRC_INVALID_INPUT';
  return userError(code, message, problems.length === 1 ? first?.hint : 'each problem is listed with its path', { problems });
}
