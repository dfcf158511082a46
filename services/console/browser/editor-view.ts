import { api, ApiError, failureText, type FieldError } from './api.js';
import { createDefinitionForm, type DefinitionDocument, type FormChoices } from './definition-form.js';
import { announce, h, pretty, show, when } from './dom.js';
import { healthSection } from './health-view.js';
import { setLeaveGuard } from './leave-guard.js';
import { carriedStateJson, carriedStateView, rememberState } from './call-state-chain.js';
import { testResultView } from './test-result-view.js';
import type { IntegrationDetail, TestView } from './types.js';

const STARTER = `key: my_lookup
name: My lookup
description: What the tool does and when the agent should use it.
method: GET
url_template: "https://api.example.com/items/{item_id}"
parameters:
  - name: item_id
    description: The item's id.
    type: string
    required: true
    in: path
auth:
  type: none
response_mapping:
  fields:
    - name: status
      expression: status
  summary_template: "The item is {{ status }}."
burden:
  level: conversational
sample_arguments:
  item_id: "42"
`;

/** The starter's sample_arguments, as the Test panel starts with them. */
const STARTER_ARGUMENTS = { item_id: '42' };

/** A message carried across the navigation that follows a create. */
let flash: string | undefined;

/** A pending replay from the calls view: the recorded arguments, to be checked by the user. */
export interface Replay {
  readonly key: string;
  readonly argumentsJson: string;
  readonly invocationId: string;
}

function takeReplay(key: string): Replay | undefined {
  const raw = sessionStorage.getItem('replay');
  if (!raw) return undefined;
  sessionStorage.removeItem('replay');
  const replay = JSON.parse(raw) as Replay;
  return replay.key === key ? replay : undefined;
}

/** Selects a line of the editor so the user lands on the problem. */
function goToLine(textarea: HTMLTextAreaElement, line: number): void {
  const lines = textarea.value.split('\n');
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i += 1) start += lines[i]!.length + 1;
  const end = start + (lines[line - 1]?.length ?? 0);
  textarea.focus();
  textarea.setSelectionRange(start, end);
  const lineHeight = textarea.scrollHeight / Math.max(lines.length, 1);
  textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

/** Create (key undefined) or edit an integration as YAML/JSON, with problems shown by field path and line, and Test. */
export async function editorView(key: string | undefined, navigate: (hash: string) => void): Promise<void> {
  let loaded: IntegrationDetail | undefined = key ? await api<IntegrationDetail>('GET', `/api/integrations/${encodeURIComponent(key)}`) : undefined;
  const textarea = h('textarea', { id: 'definition', name: 'definition', rows: 26, spellcheck: 'false', autocapitalize: 'off', 'aria-describedby': 'definition-help definition-errors' });
  textarea.value = loaded?.yaml ?? STARTER;
  const errorsHeading = h('h2', { id: 'problems-heading', hidden: true }, 'Problems');
  const errors = h('ul', { id: 'definition-errors', class: 'errors', 'aria-labelledby': 'problems-heading' });
  const message = h('div', { id: 'save-message', role: 'status' });
  const revision = h('p', { id: 'revision', class: 'muted' });
  /** Edits not saved yet: shown beside the revision, and leaving the page asks first. */
  let dirty = false;
  const showRevision = () => {
    const saved = loaded ? `Revision ${loaded.revision}${loaded.updatedAt ? `, saved ${when(loaded.updatedAt)}` : ''}` : 'Not saved yet';
    revision.textContent = dirty ? `${saved} · unsaved edits` : saved;
  };
  const setDirty = (on: boolean) => {
    if (dirty === on) return;
    dirty = on;
    showRevision();
  };
  setLeaveGuard(() => dirty);
  showRevision();
  if (flash) {
    message.textContent = flash;
    message.className = 'notice ok';
    flash = undefined;
  }

  const showProblems = (list: readonly FieldError[]) => {
    errors.replaceChildren();
    errorsHeading.hidden = list.length === 0;
    textarea.setAttribute('aria-invalid', list.length > 0 ? 'true' : 'false');
    for (const p of list) {
      const label = p.line ? `line ${p.line}` : 'definition';
      errors.appendChild(
        h(
          'li',
          { 'data-field': p.field },
          h('button', { type: 'button', class: 'link', onclick: () => void switchTo('yaml').then(() => p.line && goToLine(textarea, p.line)) }, label),
          ' ',
          h('code', {}, p.field),
          `: ${p.message}`,
        ),
      );
    }
  };

  // The form view edits the same document: switching converts through the server (the page has no YAML parser).
  const form = createDefinitionForm((p) => void switchTo('yaml').then(() => p.line && goToLine(textarea, p.line)));
  let mode: 'yaml' | 'form' = 'yaml';
  const yamlButton = h('button', { type: 'button', id: 'view-yaml', class: 'toggle', 'aria-pressed': 'true' }, 'YAML');
  const formButton = h('button', { type: 'button', id: 'view-form', class: 'toggle', 'aria-pressed': 'false' }, 'Form');
  const yamlPane = h('div', { id: 'yaml-pane' });
  const formPane = h('div', { id: 'form-pane', hidden: true }, form.element);
  const setMode = (m: 'yaml' | 'form') => {
    mode = m;
    yamlPane.hidden = m !== 'yaml';
    formPane.hidden = m !== 'form';
    yamlButton.setAttribute('aria-pressed', String(m === 'yaml'));
    formButton.setAttribute('aria-pressed', String(m === 'form'));
  };
  const loadForm = async () => {
    const { document, choices } = await api<{ document: DefinitionDocument; choices: FormChoices }>('POST', '/api/definition/document', { text: textarea.value });
    form.load(document, choices);
  };
  /** In the form view, writes the form's edits into the editor text (the one document both views edit). */
  const syncText = async () => {
    if (mode !== 'form') return;
    textarea.value = (await api<{ text: string }>('POST', '/api/definition/text', { document: form.read() })).text;
  };
  async function switchTo(m: 'yaml' | 'form'): Promise<void> {
    if (m === mode) return;
    try {
      if (m === 'form') await loadForm();
      else await syncText();
      setMode(m);
      // A "Not saved" or "Cannot open" banner from before is stale now; the problems stay at their fields.
      if (message.className === 'notice bad') {
        message.replaceChildren();
        message.className = '';
      }
      announce(m === 'form' ? 'Form view' : 'YAML view');
    } catch (err) {
      const fieldErrors = err instanceof ApiError ? err.fieldErrors : [];
      showProblems(fieldErrors.length > 0 ? fieldErrors : [{ field: '(definition)', message: failureText(err) }]);
      message.textContent = `Cannot open the ${m === 'form' ? 'form' : 'YAML'} view: ${failureText(err)}`;
      message.className = 'notice bad';
    }
  }
  yamlButton.addEventListener('click', () => void switchTo('yaml'));
  formButton.addEventListener('click', () => void switchTo('form'));

  const saveButton = h('button', { type: 'submit', id: 'save' }, loaded ? 'Save' : 'Create');
  const save = async () => {
    message.replaceChildren();
    message.className = '';
    const idle = saveButton.textContent ?? 'Save';
    saveButton.disabled = true;
    saveButton.textContent = loaded ? 'Saving…' : 'Creating…';
    message.textContent = loaded ? 'Saving…' : 'Creating…';
    try {
      await syncText();
      const saved = loaded
        ? await api<IntegrationDetail>('PUT', `/api/integrations/${encodeURIComponent(loaded.key)}`, { text: textarea.value, expectedRevision: loaded.revision })
        : await api<IntegrationDetail>('POST', '/api/integrations', { text: textarea.value });
      showProblems([]);
      const created = !loaded;
      loaded = saved;
      dirty = false;
      textarea.value = saved.yaml;
      if (mode === 'form') {
        await loadForm();
        form.showProblems([]);
      }
      showRevision();
      message.textContent = created ? `Created ${saved.key}.` : `Saved ${saved.key}, revision ${saved.revision}.`;
      message.className = 'notice ok';
      if (created) {
        flash = message.textContent;
        navigate(`#/integrations/${encodeURIComponent(saved.key)}`);
      }
    } catch (err) {
      message.replaceChildren();
      if (!(err instanceof ApiError) || err.status === 0 || err.status === 401) {
        message.textContent = `Not saved: ${failureText(err)} Your edits are still here.`;
        message.className = 'notice bad';
        return;
      }
      if (err.reason === 'REVISION_CONFLICT') {
        message.className = 'notice bad';
        const reload = () => {
          dirty = false;
          navigate(`#/integrations/${encodeURIComponent(loaded!.key)}?reload=${Date.now()}`);
        };
        message.append(
          h('strong', {}, 'Someone else saved this integration after you opened it. '),
          'Your edits are still here and were not saved. ',
          h('button', { type: 'button', onclick: reload }, 'Load their version (discards your edits)'),
        );
        return;
      }
      showProblems(err.fieldErrors.length > 0 ? err.fieldErrors : [{ field: '(definition)', message: err.message }]);
      if (mode === 'form') form.showProblems(err.fieldErrors);
      message.textContent = err.fieldErrors.length > 0 ? `Not saved: ${err.fieldErrors.length} problem(s), listed below.` : `Not saved: ${err.message}`;
      message.className = 'notice bad';
      const first = err.fieldErrors.find((p) => p.line);
      if (first?.line && mode === 'yaml') goToLine(textarea, first.line);
    } finally {
      saveButton.disabled = false;
      saveButton.textContent = idle;
    }
  };

  // Test: the saved definition when the editor is unchanged, else the unsaved text as a draft.
  const replay = key ? takeReplay(key) : undefined;
  const args = h('textarea', { id: 'test-args', name: 'test-args', rows: 6, spellcheck: 'false', 'aria-describedby': 'test-args-help' });
  args.value = replay ? pretty(JSON.parse(replay.argumentsJson || '{}') as unknown) : pretty(loaded?.sampleArguments ?? STARTER_ARGUMENTS);
  const health = loaded ? healthSection(loaded.key) : undefined;
  const result = h('section', { id: 'test-result', 'aria-live': 'polite', 'aria-busy': 'false' });
  const testButton = h('button', { type: 'submit', id: 'test' }, 'Test');
  let carriedState = carriedStateView();
  const test = async () => {
    result.setAttribute('aria-busy', 'true');
    testButton.disabled = true;
    testButton.textContent = 'Testing…';
    result.replaceChildren(h('p', { id: 'test-progress' }, 'Testing…'));
    try {
      await syncText();
      const unchanged = loaded !== undefined && textarea.value === loaded.yaml;
      const state = carriedStateJson();
      const view = await api<TestView>('POST', '/api/test', unchanged ? { key: loaded!.key, arguments: args.value, state } : { text: textarea.value, arguments: args.value, state });
      result.replaceChildren(testResultView(view));
      rememberState(view);
      const shown = carriedStateView();
      carriedState.replaceWith(shown);
      carriedState = shown;
      // The trail records the Test a moment later (executor → NATS → audit logger): look twice.
      if (health) for (const ms of [1000, 4000]) setTimeout(() => health.refresh(), ms);
      announce(`Test finished: ${view.outcomeName.replace(/^OUTCOME_/, '')}${view.httpStatus ? `, HTTP ${view.httpStatus}` : ''}.`);
    } catch (err) {
      const fieldErrors = err instanceof ApiError ? err.fieldErrors : [];
      if (fieldErrors.some((f) => f.field !== 'arguments')) {
        showProblems(fieldErrors);
        if (mode === 'form') form.showProblems(fieldErrors);
      }
      args.setAttribute('aria-invalid', String(fieldErrors.some((f) => f.field === 'arguments')));
      result.replaceChildren(h('p', { id: 'test-error', class: 'notice bad', role: 'alert' }, `Test not run: ${failureText(err)}`));
    } finally {
      result.setAttribute('aria-busy', 'false');
      testButton.disabled = false;
      testButton.textContent = 'Test';
    }
  };

  yamlPane.append(
    h('label', { for: 'definition' }, 'Definition (YAML or JSON)'),
    h('p', { id: 'definition-help', class: 'help' }, 'The same format as ', h('code', {}, 'switchboard apply -f'), '. Problems are listed by field path; choose a line to jump to it.'),
    errorsHeading,
    errors,
    textarea,
  );
  show(
    h('h1', {}, loaded ? loaded.key : 'New integration'),
    h('p', {}, h('a', { href: '#/integrations' }, '← All integrations')),
    revision,
    h(
      'div',
      { class: 'editor-grid' },
      h(
        'form',
        {
          class: 'card',
          id: 'definition-editor',
          onsubmit: (ev: Event) => { ev.preventDefault(); void save(); },
          oninput: () => setDirty(true),
          onchange: () => setDirty(true),
          onclick: (ev: Event) => {
            // Adding or removing a parameter or mapped field is an edit too.
            const b = (ev.target as Element).closest('button');
            if (b && (b.id.startsWith('f-add-') || (b.getAttribute('aria-label') ?? '').startsWith('Remove'))) setDirty(true);
          },
        },
        h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Edit as' }, yamlButton, formButton),
        message,
        yamlPane,
        formPane,
        h('div', { class: 'actions' }, saveButton),
      ),
      h(
        'form',
        { class: 'card', onsubmit: (ev: Event) => { ev.preventDefault(); void test(); } },
        h('h2', {}, 'Test'),
        replay ? h('p', { class: 'notice' }, `Replaying invocation ${replay.invocationId}: sensitive arguments were not recorded; re-enter any value shown as redacted.`) : null,
        h('label', { for: 'test-args' }, 'Arguments (JSON)'),
        h('p', { id: 'test-args-help', class: 'help' }, 'Prefilled from the definition\'s sample arguments. Test sends a real request and tests the editor\'s text, unsaved edits included.'),
        args,
        carriedState,
        h('div', { class: 'actions' }, testButton),
        result,
      ),
    ),
    health?.element ?? null,
  );
}
