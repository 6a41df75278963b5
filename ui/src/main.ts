// Picks the face at start-up: the app window inside Tauri, otherwise the console or the site.
import { mount } from 'svelte';
import './styles.css';

const target = document.getElementById('root');
if (!target) throw new Error('index.html has no #root');

if ('__TAURI_INTERNALS__' in window) {
  // The app's windows: the main one, or the bar that shows while something is shared.
  void import('@tauri-apps/api/window').then(({ getCurrentWindow }) =>
    getCurrentWindow().label === 'sharing-bar'
      ? import('./app/SharingBar.svelte').then(({ default: SharingBar }) => mount(SharingBar, { target }))
      : import('./app/AppRoot.svelte').then(({ default: AppRoot }) => mount(AppRoot, { target })),
  );
} else {
  void import('./BrowserRoot.svelte').then(({ default: BrowserRoot }) => mount(BrowserRoot, { target }));
}
