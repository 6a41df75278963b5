// The offer ring: a short two-note chime, repeated until stopped. WebAudio, no sound files.

let context: AudioContext | null = null;

/**
 * Creates or resumes the audio context. Browsers only allow sound after a user gesture, so call
 * this from one (sign-in, the availability toggle) before the first ring.
 */
export function unlockAudio(): void {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume();
  } catch {
    context = null;
  }
}

function chime(ctx: AudioContext): void {
  const start = ctx.currentTime + 0.01;
  const notes: Array<[number, number]> = [[880, 0], [660, 0.18]];
  for (const [frequency, offset] of notes) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = frequency;
    const t = start + offset;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.18);
  }
}

/** Rings every `everyMs` until the returned function is called. */
export function startRinging(everyMs = 1600): () => void {
  unlockAudio();
  const ring = () => {
    if (context?.state === 'suspended') void context.resume();
    if (context?.state === 'running') chime(context);
  };
  ring();
  const timer = setInterval(ring, everyMs);
  return () => clearInterval(timer);
}
