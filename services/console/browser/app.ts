// The console's single page: hash routes, one view at a time.
import { api, ApiError, setCsrfToken } from './api.js';
import { callsView } from './calls-view.js';
import { credentialsView } from './credentials-view.js';
import { h, show } from './dom.js';
import { editorView } from './editor-view.js';
import { importView } from './import-view.js';
import { integrationsView } from './integrations-view.js';
import { signInView, type SignedIn } from './sign-in-view.js';
import { toolsView } from './tools-view.js';

let org = '';

function navigate(hash: string): void {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function setSignedIn(s: SignedIn | undefined): void {
  org = s?.orgId ?? '';
  const nav = document.getElementById('nav')!;
  nav.hidden = !s;
  document.getElementById('org')!.textContent = s ? `Org: ${s.orgId}` : '';
}

function markCurrent(section: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.dataset['section'] === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route(): Promise<void> {
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
    const text = err instanceof ApiError ? err.message : 'Something went wrong; reload the page.';
    show(h('h1', {}, err instanceof ApiError && err.status === 404 ? 'Not found' : 'Error'), h('p', { role: 'alert', id: 'page-error' }, text), h('p', {}, h('a', { href: '#/integrations' }, 'Back to integrations')));
  }
}

async function boot(): Promise<void> {
  document.getElementById('sign-out')!.addEventListener('click', () => {
    void api('DELETE', '/api/session').finally(() => {
      setSignedIn(undefined);
      setCsrfToken('');
      navigate('#/');
    });
  });
  try {
    const s = await api<SignedIn>('GET', '/api/session');
    setCsrfToken(s.csrfToken);
    setSignedIn(s);
  } catch {
    setSignedIn(undefined);
  }
  window.addEventListener('hashchange', () => void route());
  await route();
}

void boot();
