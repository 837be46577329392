// The updater as the UI sees it: the shell's status, kept current by its
// events. The shell checks by itself; "Check now" and "Install" are asked.
import type { AppError, UpdateStatus } from '../bindings';
import { api, onUpdate, toAppError } from '../ipc';

class Updates {
  status = $state<UpdateStatus | null>(null);
  /** A failure of the last request (the status also says it). */
  error = $state<AppError | null>(null);
  #started = false;

  /** Whether a newer version is waiting (for the sidebar's dot). */
  get available(): boolean {
    return !!this.status?.available && this.status.state !== 'checking';
  }

  async start() {
    if (this.#started) return;
    this.#started = true;
    await onUpdate((s) => (this.status = s));
    this.status = await api.updateStatus().catch(() => null);
  }

  async check() {
    this.error = null;
    try {
      this.status = await api.checkForUpdate();
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  async install() {
    this.error = null;
    try {
      // On success the app restarts as the new version.
      await api.installUpdate();
    } catch (e) {
      this.error = toAppError(e);
    }
  }
}

export const updates = new Updates();
