// This device's preferences for the logged-in account, as the client core
// keeps them (`ling_client::prefs`, in the account's cache): read when the
// account is entered, written whole on each change.
import type { Prefs } from '../bindings';
import { api } from '../ipc';

const DEFAULTS: Prefs = {
  notifications: true,
  enter_sends: true,
  devices: { microphone: null, speaker: null, camera: null },
  recent_reactions: ['👍', '❤️', '😂', '🎉', '😮', '😢'],
  notify_reactions: false,
  link_previews: true,
  sound: { echo_cancellation: true, noise_suppression: true, auto_gain: true },
};

/** Reactions offered in the quick row. */
const QUICK = 6;

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

  /** The emoji offered first for a reaction, most recently used first. */
  get recentReactions(): string[] {
    return this.prefs.recent_reactions.slice(0, QUICK);
  }

  /** An emoji was used as a reaction: it moves to the front of the quick row. */
  usedReaction(emoji: string) {
    const recent = [emoji, ...this.prefs.recent_reactions.filter((e) => e !== emoji)].slice(0, QUICK * 2);
    this.change({ recent_reactions: recent }).catch(() => {});
  }

  setEnterSends(v: boolean) {
    this.change({ enter_sends: v }).catch(() => {});
  }
}

export const settings = new Settings();
