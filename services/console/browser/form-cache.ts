// The form's Cache section: repeat lookups (GET) answered from a cache for ttl_seconds, within one call or the org.
import { h } from './dom.js';
import { blockFields, fieldset, get, optionalNumber, put, putSub, select, sub, text, type DefinitionDocument, type FormChoices, type FormFields, type FormSection } from './form-kit.js';

export function cacheSection(fields: FormFields): FormSection {
  const block = blockFields('cache', { ttl_seconds: { parse: optionalNumber, attrs: { inputmode: 'numeric' } } });
  const ttl = block.inputs.ttl_seconds;
  let scope = select('f-cache-scope', [], '');
  return {
    load(doc: DefinitionDocument, c: FormChoices) {
      block.load(doc);
      scope = select('f-cache-scope', c.cacheScope, text(get(sub(doc, 'cache'), 'scope')));
      const section = fieldset(
        'Cache',
        'f-cache',
        h('p', { class: 'help' }, 'For lookups (GET) only: the same arguments within the time to live are answered without asking the upstream again, still gated and audited. Empty or 0: no cache.'),
        h(
          'div',
          { class: 'form-pair' },
          fields.row('Time to live (seconds)', 'cache.ttl_seconds', ttl),
          fields.row('Shared by', 'cache.scope', scope, 'call: one call only (the default); org: every call of the org.'),
        ),
      );
      // A problem with the cache as a whole (a cached POST) is shown at its first field.
      fields.alias('cache', 'cache.ttl_seconds');
      return [section];
    },
    read(out: DefinitionDocument) {
      const cache = block.read(out);
      put(cache, 'scope', scope.value);
      putSub(out, 'cache', cache);
    },
  };
}
