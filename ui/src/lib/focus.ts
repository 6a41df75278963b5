// Moving the focus through a dialog's choices with the keyboard, as a list box does: the arrows
// (and Home, End) move between the choices, Tab between every button of the dialog and stays in
// it. Used by the choosers of the app (what to share, what to take a screenshot of).

/**
 * Handles `event` if it is one of those keys: moves the focus among the enabled buttons of
 * `choices` (arrows, Home, End) or of `dialog` (Tab), and returns the button that has it now;
 * `null` for any other key (the event is left alone).
 */
export function roveFocus(event: KeyboardEvent, choices: HTMLElement, dialog: HTMLElement): HTMLButtonElement | null {
  const forward = ['ArrowDown', 'ArrowRight'];
  const back = ['ArrowUp', 'ArrowLeft'];
  if (![...forward, ...back, 'Home', 'End', 'Tab'].includes(event.key)) return null;
  const stops = [...(event.key === 'Tab' ? dialog : choices).querySelectorAll<HTMLButtonElement>('button:not(:disabled)')];
  if (stops.length === 0) return null;
  const here = stops.indexOf(document.activeElement as HTMLButtonElement);
  let next: number;
  if (forward.includes(event.key) || (event.key === 'Tab' && !event.shiftKey)) next = here + 1;
  else if (back.includes(event.key) || event.key === 'Tab') next = here - 1;
  else if (event.key === 'Home') next = 0;
  else next = stops.length - 1;
  event.preventDefault();
  const target = stops[(next + stops.length) % stops.length] ?? null;
  target?.focus();
  return target;
}
