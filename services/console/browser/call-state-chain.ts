import { h } from './dom.js';
import type { TestView } from './types.js';

/**
 * The call state carried between Tests in this browser tab, so the Test panel can run a chain
 * (lookup → booking): each Test's exports are kept here and sent with the next Test, where the console
 * puts them into the parameters that take them (`from: call.<name>`). A sensitive export is never
 * shown to the console ("set"), so it cannot be carried: give it in the arguments.
 */
const carried = new Map<string, unknown>();
const unreadable = new Set<string>();

/** Keeps what a Test exported. */
export function rememberState(view: TestView): void {
  for (const entry of view.callState) {
    if (entry.sensitive) {
      carried.delete(entry.name);
      unreadable.add(entry.name);
      continue;
    }
    unreadable.delete(entry.name);
    try {
      carried.set(entry.name, JSON.parse(entry.shown) as unknown);
    } catch {
      carried.set(entry.name, entry.shown);
    }
  }
}

/** What the next Test sends as `state`. */
export function carriedStateJson(): string {
  return carried.size === 0 ? '' : JSON.stringify(Object.fromEntries(carried));
}

/** The carried state as the Test panel shows it, with a button that forgets it. */
export function carriedStateView(): HTMLElement {
  const box = h('div', { id: 'test-call-state', class: 'help' });
  const render = () => {
    if (carried.size === 0 && unreadable.size === 0) {
      box.replaceChildren('No call state carried: Test a lookup that exports values first to chain it into this one.');
      return;
    }
    const items = [...[...carried].map(([name, value]) => `${name} = ${JSON.stringify(value)}`), ...[...unreadable].map((name) => `${name}: set (sensitive, not carried)`)];
    const clear = h('button', { type: 'button', id: 'test-call-state-clear', class: 'link' }, 'Clear');
    clear.addEventListener('click', () => {
      carried.clear();
      unreadable.clear();
      render();
    });
    box.replaceChildren(`Call state carried from earlier Tests: ${items.join(', ')}. `, clear);
  };
  render();
  return box;
}

/** The call state a Test exported, for its result. */
export function exportedStateView(view: TestView): HTMLElement[] {
  if (view.callState.length === 0) return [];
  return [
    h('h4', {}, 'Call state exported'),
    h('ul', { id: 'test-exported-state' }, ...view.callState.map((e) => h('li', {}, h('code', {}, e.name), e.sensitive ? ': set (sensitive)' : ` = ${e.shown}`))),
  ];
}
