// Media preferences kept in this browser: whether an expert's camera and microphone start by
// themselves on joining a session (on unless switched off; an expert joining expects it).

const AUTO_START = 'instant-share.media.auto-start';

function load(): boolean {
  try {
    return localStorage.getItem(AUTO_START) !== 'off';
  } catch {
    return true;
  }
}

class MediaSettings {
  /** Start camera and microphone when an expert joins a session. */
  autoStart = $state(load());

  setAutoStart(on: boolean): void {
    this.autoStart = on;
    try {
      localStorage.setItem(AUTO_START, on ? 'on' : 'off');
    } catch {
      // Storage disabled: the choice lasts for this page.
    }
  }
}

export const mediaSettings = new MediaSettings();
