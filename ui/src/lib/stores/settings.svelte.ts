// Small preferences kept in the webview's storage.
const KEY = 'ling.enterSends';

class Settings {
  enterSends = $state(read());

  setEnterSends(v: boolean) {
    this.enterSends = v;
    try {
      localStorage.setItem(KEY, v ? '1' : '0');
    } catch {
      // not kept
    }
  }
}

function read(): boolean {
  try {
    return localStorage.getItem(KEY) !== '0';
  } catch {
    return true;
  }
}

export const settings = new Settings();
