// Error codes said in the person's language; unknown codes fall back to the
// English message from the Rust side.
import type { AppCode, AppError } from './bindings';
import type { MessageKey } from './i18n/en';
import { en } from './i18n/en';
import { t } from './i18n/index.svelte';

/** The codes without a sentence: none, or the type check fails here and
 * names them (`AppCode` is generated from the Rust enums; zh-CN.ts must
 * have every key en.ts has). */
type Unsaid = Exclude<`error.${AppCode}`, MessageKey>;
export const everyCodeIsSaid: [Unsaid] extends [never] ? true : Unsaid = true;

export function errorSentence(e: AppError): string {
  const key: MessageKey = `error.${e.code}`;
  // A code from elsewhere (a thrown value that only looks like an AppError).
  if (!(key in en)) return t('error.generic', { message: e.message });
  return t(key, { address: e.address ?? '', fingerprint: e.fingerprint ?? '?', max: '50 MB', message: e.message });
}

/** A code kept with a failed message: its sentence, or the code itself
 * when this app does not know it (a newer server's). */
export function codeSentence(code: string): string {
  const key = `error.${code}`;
  if (!(key in en)) return code;
  return t(key as MessageKey, { address: '', fingerprint: '?', max: '50 MB', message: code });
}
