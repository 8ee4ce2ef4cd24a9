// The TRC_SECRETS_V1 secrets file (ADR 0010): parser, renderer and the strict base64 they share.
export { BASE64_PREFIX, isSecretKey, SECRETS_FILE_HEADER, SECRETS_FILE_PATH, type SecretEntry } from './format.ts';
export { formatSecretsProblem, parseSecretsFile, parseSecretsFileOrThrow, secretsFileInvalid, type SecretsFileProblem } from './parse.ts';
export { renderSecretsFile } from './render.ts';
export { decodeBase64Strict, encodeBase64, type Base64Result } from './base64.ts';
