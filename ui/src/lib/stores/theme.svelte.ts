// Light or dark: follows the system unless chosen in settings.
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'ling.theme';

class Theme {
  choice = $state<ThemeChoice>(this.stored());
  private media = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  private stored(): ThemeChoice {
    try {
      const v = localStorage.getItem(KEY);
      if (v === 'light' || v === 'dark') return v;
    } catch {
      // follow the system
    }
    return 'system';
  }

  get effective(): 'light' | 'dark' {
    if (this.choice !== 'system') return this.choice;
    return this.media?.matches ? 'dark' : 'light';
  }

  apply() {
    document.documentElement.dataset.theme = this.effective;
    this.media?.addEventListener?.('change', () => {
      document.documentElement.dataset.theme = this.effective;
    });
  }

  set(choice: ThemeChoice) {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // not kept
    }
    document.documentElement.dataset.theme = this.effective;
  }
}

export const theme = new Theme();
