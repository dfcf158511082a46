// Signing in again in place when a session ends mid-edit: a modal over the page, so nothing on it is lost.
import { api, ApiError, failureText, setCsrfToken } from './api.js';
import type { SignedIn } from './sign-in-view.js';
import { h } from './dom.js';

/**
 * Asks for an org token of the same org and resolves true once signed in (the caller then resends its
 * request), or false when the user cancels. A token of another org is refused: the page holds this org's work.
 */
export function signInAgainDialog(orgId: string): Promise<boolean> {
  return new Promise((resolve) => {
    const error = h('p', { id: 'reauth-error', class: 'error', role: 'alert' });
    const token = h('input', { id: 'reauth-token', name: 'reauth-token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'reauth-help reauth-error' });
    const submit = h('button', { type: 'submit', id: 'reauth-submit' }, 'Sign in');
    const cancel = h('button', { type: 'button', id: 'reauth-cancel', class: 'secondary' }, 'Cancel');
    const dialog = h(
      'dialog',
      { id: 'reauth', 'aria-labelledby': 'reauth-heading' },
      h(
        'form',
        {
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            submit.disabled = true;
            submit.textContent = 'Signing in…';
            error.textContent = '';
            api<SignedIn>('POST', '/api/session', { token: token.value })
              .then((s) => {
                if (s.orgId !== orgId) {
                  // Signed in, but to another org: end that session rather than send this org's edits there.
                  setCsrfToken(s.csrfToken);
                  void api('DELETE', '/api/session').catch(() => undefined);
                  throw new Error(`that token is for org ${s.orgId}; this page holds work of org ${orgId}`);
                }
                setCsrfToken(s.csrfToken);
                close(true);
              })
              .catch((err: unknown) => {
                error.textContent = !(err instanceof ApiError) && err instanceof Error ? err.message : failureText(err);
                token.setAttribute('aria-invalid', 'true');
                token.focus();
              })
              .finally(() => {
                submit.disabled = false;
                submit.textContent = 'Sign in';
              });
          },
        },
        h('h2', { id: 'reauth-heading' }, 'Your session has ended'),
        h('p', { id: 'reauth-help' }, `Sign in again with an org token of ${orgId} to carry on. Your edits on this page are kept.`),
        h('label', { for: 'reauth-token' }, 'Org API token'),
        token,
        error,
        h('div', { class: 'actions' }, submit, cancel),
      ),
    );
    const close = (signedIn: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(signedIn);
    };
    cancel.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      close(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    token.focus();
  });
}
