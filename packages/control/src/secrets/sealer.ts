// Secret bundles at rest (ADR 0010): AES-256-GCM under a fresh data key per bundle version, the data key
// wrapped (AES-256-GCM again) by the platform master key. The log holds only the sealed form.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { TrcError, type SealedBundle } from '@trc/core';
import type { Random } from '../commands/tokens.ts';

/** Seals a bundle of secret values; `context` (app, env, version) is bound as additional data. */
export interface SecretSealer {
  seal(values: Readonly<Record<string, string>>, context: string): SealedBundle;
  open(sealed: SealedBundle, context: string): Record<string, string>;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64');

function encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: string): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

function decrypt(key: Uint8Array, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

function keyError(message: string, cause?: unknown): TrcError {
  return new TrcError('TRC_MASTER_KEY_INVALID', message, { hint: 'restore the master key file the secrets were sealed with (see --master-key)', cause });
}

export class AesGcmSealer implements SecretSealer {
  readonly #masterKey: Uint8Array;
  readonly #random: Random;
  /** A fingerprint of the master key (not the key): says which key sealed a bundle. */
  readonly masterKeyId: string;

  constructor(masterKey: Uint8Array, random: Random) {
    if (masterKey.length !== 32) throw keyError(`the master key must be 32 bytes, not ${masterKey.length}`);
    this.#masterKey = masterKey;
    this.#random = random;
    this.masterKeyId = createHash('sha256').update('trc-master-key-id\0').update(masterKey).digest('hex').slice(0, 16);
  }

  seal(values: Readonly<Record<string, string>>, context: string): SealedBundle {
    const dataKey = this.#random(32);
    const iv = this.#random(12);
    const keyIv = this.#random(12);
    const sealed = encrypt(dataKey, iv, Buffer.from(JSON.stringify(values), 'utf8'), `bundle\0${context}`);
    const wrapped = encrypt(this.#masterKey, keyIv, dataKey, `data-key\0${context}`);
    dataKey.fill(0);
    return {
      masterKeyId: this.masterKeyId,
      wrappedKey: b64(wrapped.ciphertext),
      keyIv: b64(keyIv),
      keyTag: b64(wrapped.tag),
      iv: b64(iv),
      tag: b64(sealed.tag),
      ciphertext: b64(sealed.ciphertext),
    };
  }

  open(sealed: SealedBundle, context: string): Record<string, string> {
    if (sealed.masterKeyId !== this.masterKeyId) throw keyError(`the bundle was sealed with master key ${sealed.masterKeyId}, not the loaded key ${this.masterKeyId}`);
    let dataKey: Buffer;
    try {
      dataKey = decrypt(this.#masterKey, unb64(sealed.keyIv), unb64(sealed.wrappedKey), unb64(sealed.keyTag), `data-key\0${context}`);
    } catch (error) {
      throw keyError('the data key of a secret bundle does not unwrap under the master key', error);
    }
    try {
      return JSON.parse(decrypt(dataKey, unb64(sealed.iv), unb64(sealed.ciphertext), unb64(sealed.tag), `bundle\0${context}`).toString('utf8')) as Record<string, string>;
    } catch (error) {
      throw keyError('a secret bundle does not decrypt (tampered or moved between environments)', error);
    } finally {
      dataKey.fill(0);
    }
  }
}
