// This device's preferences for the logged-in account, as the client core
// keeps them (`ling_client::prefs`, in the account's cache): read when the
// account is entered, written whole on each change.
import type { Prefs } from '../bindings';
import { api } from '../ipc';

const DEFAULTS: Prefs = {
  notifications: true,
  enter_sends: true,
  devices: { microphone: null, speaker: null, camera: null },
};

class Settings {
  prefs = $state<Prefs>(structuredClone(DEFAULTS));

  get enterSends(): boolean {
    return this.prefs.enter_sends;
  }

  /** The logged-in account's preferences (the defaults if they cannot be read). */
  async load() {
    try {
      this.prefs = (await api.prefs()) ?? structuredClone(DEFAULTS);
    } catch {
      this.prefs = structuredClone(DEFAULTS);
    }
  }

  /** Changes some preferences and keeps them; put back if keeping fails. */
  async change(part: Partial<Prefs>) {
    const before = this.prefs;
    this.prefs = { ...before, ...part };
    try {
      await api.setPrefs($state.snapshot(this.prefs));
    } catch (e) {
      this.prefs = before;
      throw e;
    }
  }

  setEnterSends(v: boolean) {
    this.change({ enter_sends: v }).catch(() => {});
  }
}

export const settings = new Settings();
