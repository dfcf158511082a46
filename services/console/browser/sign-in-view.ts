import { api, failureText, setCsrfToken } from './api.js';
import { h, show } from './dom.js';

export interface SignedIn {
  readonly orgId: string;
  readonly csrfToken: string;
}

/** The sign-in page: an org API token (from `switchboard token create`) in, a session cookie out. */
export function signInView(onSignedIn: (s: SignedIn) => void): void {
  const error = h('p', { id: 'sign-in-error', class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', id: 'sign-in' }, 'Sign in');
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'token-help sign-in-error' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        error.textContent = '';
        submit.disabled = true;
        submit.textContent = 'Signing in…';
        api<SignedIn>('POST', '/api/session', { token: input.value })
          .then((s) => {
            input.value = '';
            setCsrfToken(s.csrfToken);
            onSignedIn(s);
          })
          .catch((err: unknown) => {
            error.textContent = failureText(err);
            input.setAttribute('aria-invalid', 'true');
            input.focus();
          })
          .finally(() => {
            submit.disabled = false;
            submit.textContent = 'Sign in';
          });
      },
    },
    h('label', { for: 'token' }, 'Org API token'),
    input,
    h('p', { id: 'token-help', class: 'help' }, 'Create one with ', h('code', {}, 'switchboard token create --org <your org>'), '. It is shown once; paste it here.'),
    submit,
    error,
  );
  show(h('h1', {}, 'Sign in to Switchboard'), form);
}
