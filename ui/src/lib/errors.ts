// Error codes said in the person's language; unknown codes fall back to the
// English message from the Rust side.
import type { AppError } from './bindings';
import type { MessageKey } from './i18n/en';
import { en } from './i18n/en';
import { t } from './i18n/index.svelte';

export function errorSentence(e: AppError): string {
  const key = `error.${e.code}` as MessageKey;
  if (!(key in en)) return t('error.generic', { message: e.message });
  return t(key, { address: e.address ?? '', fingerprint: e.fingerprint ?? '?', max: '50 MB', message: e.message });
}
