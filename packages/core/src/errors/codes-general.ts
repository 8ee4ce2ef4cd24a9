// Error codes shared by every area.
export const GENERAL_CODES = {
  TRC_INTERNAL: { kind: 'bug', status: 500, summary: 'An unexpected failure inside the platform (a bug); logged with its stack.' },
  TRC_INVALID_INPUT: { kind: 'user', status: 400, summary: 'The input does not have the expected shape; every problem is listed with its path.' },
} as const;
