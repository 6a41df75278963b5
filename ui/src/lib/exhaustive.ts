// Switches over the wire's unions (messages, board events, shapes) name every case and end in
// `default: unhandled(x)`: a case added on the Rust side (the generated types) then fails the
// type check at each switch that does not say what it means, instead of being ignored silently.
// At run time a value the page does not know (a newer host) is logged and skipped, not thrown.

/** The `default` of a switch that names every case. */
export function unhandled(value: never, what: string): void {
  console.warn(`unknown ${what}, ignored:`, value);
}
