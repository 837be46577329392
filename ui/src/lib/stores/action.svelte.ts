// The error of the last thing a view tried: each view keeps one, runs its
// commands through it, and shows `error` with ErrorNote.
import type { AppError } from '../bindings';
import { toAppError } from '../ipc';

export class Action {
  error = $state<AppError | null>(null);

  /** Runs `f`, keeping its error (cleared first); its result, or undefined if it failed. */
  run = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    this.error = null;
    try {
      return await f();
    } catch (e) {
      this.error = toAppError(e);
      return undefined;
    }
  };
}
