import { Outcome, type PrefetchAmbientResponse } from '@switchboard/contracts';

/** What the agent knows at call start: the ambient lookups that answered, as the system prompt gets them. */
export interface AmbientKnowledge {
  /** Succeeded lookups: the tool, its one-line summary and the mapped result (JSON). */
  readonly known: readonly { readonly toolKey: string; readonly summary: string; readonly resultJson: string }[];
  /** Lookups that ended in a failure (outcome name and reason); the agent says nothing about them. */
  readonly failed: readonly { readonly toolKey: string; readonly outcome: string; readonly reason: string }[];
  /** Lookups still running at the deadline. */
  readonly late: readonly string[];
  /** Lines for the system prompt, one per succeeded lookup ("- tool: summary"); empty when nothing is known. */
  readonly promptText: string;
}

/** Sorts a PrefetchAmbient answer into what the system prompt says and what only the logs need. */
export function ambientKnowledgeOf(response: PrefetchAmbientResponse): AmbientKnowledge {
  const known: AmbientKnowledge['known'][number][] = [];
  const failed: AmbientKnowledge['failed'][number][] = [];
  for (const { toolKey, result } of response.lookups) {
    if (result?.outcome === Outcome.OUTCOME_SUCCESS) known.push({ toolKey, summary: result.summary, resultJson: result.resultJson });
    else failed.push({ toolKey, outcome: Outcome[result?.outcome ?? Outcome.OUTCOME_UNSPECIFIED] ?? 'OUTCOME_UNSPECIFIED', reason: result?.reason ?? '' });
  }
  const promptText = known.map((k) => `- ${k.toolKey}: ${k.summary || k.resultJson}`).join('\n');
  return { known, failed, late: [...response.lateToolKeys], promptText };
}
