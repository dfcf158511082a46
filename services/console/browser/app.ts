// The console's single page: hash routes, one view at a time.
import { api, ApiError, failureText, onSessionExpired, setCsrfToken } from './api.js';
import { callsView } from './calls-view.js';
import { credentialsView } from './credentials-view.js';
import { h, show } from './dom.js';
import { editorView } from './editor-view.js';
import { importView } from './import-view.js';
import { integrationsView } from './integrations-view.js';
import { mayLeave, setLeaveGuard, unsavedEdits } from './leave-guard.js';
import { signInAgainDialog } from './session-dialog.js';
import { signInView, type SignedIn } from './sign-in-view.js';
import { toolsView } from './tools-view.js';

let org = '';
/** The route the page shows (the hash it was reached by), to return to when the user stays on a page with edits. */
let current = '';

function navigate(hash: string): void {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function setSignedIn(s: SignedIn | undefined): void {
  org = s?.orgId ?? '';
  const nav = document.getElementById('nav')!;
  nav.hidden = !s;
  document.getElementById('org')!.textContent = s ? `Org: ${s.orgId}` : '';
  onSessionExpired(s ? () => signInAgainDialog(s.orgId) : undefined);
}

function markCurrent(section: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.dataset['section'] === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** The page-change indicator: a bar under the header and aria-busy on the main region while a view loads. */
function loading(on: boolean): void {
  document.getElementById('page-loading')!.hidden = !on;
  document.getElementById('main')!.setAttribute('aria-busy', String(on));
}

async function route(): Promise<void> {
  current = location.hash;
  setLeaveGuard(undefined);
  if (!org) {
    signInView((s) => {
      setSignedIn(s);
      navigate('#/integrations');
    });
    return;
  }
  const [path = '', queryText = ''] = location.hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(queryText);
  const parts = path.split('/').filter(Boolean);
  loading(true);
  try {
    if (parts[0] === 'integrations' && parts[1]) {
      markCurrent('integrations');
      await editorView(decodeURIComponent(parts[1]), navigate);
    } else if (parts[0] === 'new') {
      markCurrent('integrations');
      await editorView(undefined, navigate);
    } else if (parts[0] === 'import') {
      markCurrent('import');
      importView();
    } else if (parts[0] === 'credentials') {
      markCurrent('credentials');
      await credentialsView();
    } else if (parts[0] === 'calls') {
      markCurrent('calls');
      await callsView(query, navigate);
    } else if (parts[0] === 'tools') {
      markCurrent('tools');
      await toolsView(query, navigate);
    } else {
      markCurrent('integrations');
      await integrationsView();
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setSignedIn(undefined);
      return route();
    }
    show(
      h('h1', {}, err instanceof ApiError && err.status === 404 ? 'Not found' : 'Error'),
      h('p', { role: 'alert', id: 'page-error' }, failureText(err)),
      h('p', {}, h('button', { type: 'button', id: 'page-retry', onclick: () => void route() }, 'Try again'), ' ', h('a', { href: '#/integrations' }, 'Back to integrations')),
    );
  } finally {
    loading(false);
  }
}

function onHashChange(): void {
  if (location.hash === current) return;
  if (!mayLeave()) {
    // Stay: put the address back without another hashchange.
    history.replaceState(null, '', current || '#/');
    return;
  }
  void route();
}

async function boot(): Promise<void> {
  // The skip link moves focus; it is not a route.
  document.querySelector<HTMLAnchorElement>('a.skip')!.addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('main')!.focus();
  });
  document.getElementById('sign-out')!.addEventListener('click', () => {
    if (!mayLeave()) return;
    setLeaveGuard(undefined);
    void api('DELETE', '/api/session')
      .catch(() => undefined)
      .finally(() => {
        setSignedIn(undefined);
        setCsrfToken('');
        navigate('#/');
      });
  });
  window.addEventListener('beforeunload', (ev) => {
    if (unsavedEdits()) ev.preventDefault();
  });
  try {
    const s = await api<SignedIn>('GET', '/api/session');
    setCsrfToken(s.csrfToken);
    setSignedIn(s);
  } catch {
    setSignedIn(undefined);
  }
  window.addEventListener('hashchange', onHashChange);
  await route();
}

void boot();
