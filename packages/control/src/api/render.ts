// Renders a decrypted bundle as a TRC_SECRETS_V1 file, with the format's own renderer from @trc/core.
import { renderSecretsFile } from '@trc/core/secrets-file/index';

export function renderBundle(values: Readonly<Record<string, string>>): string {
  const encoder = new TextEncoder();
  return renderSecretsFile(Object.keys(values).sort().map((key) => ({ key, value: encoder.encode(values[key]!) })));
}
