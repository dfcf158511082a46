// "You have unsaved edits": the page that holds edits registers a check; leaving asks first.

let hasEdits: (() => boolean) | undefined;

/** The current page's check for unsaved edits (undefined: nothing to lose). Each page change clears it. */
export function setLeaveGuard(check: (() => boolean) | undefined): void {
  hasEdits = check;
}

export function unsavedEdits(): boolean {
  return hasEdits?.() ?? false;
}

/** True when the page may be left: no unsaved edits, or the user chose to discard them. */
export function mayLeave(): boolean {
  return !unsavedEdits() || window.confirm('You have unsaved edits on this page. Leave and discard them?');
}
