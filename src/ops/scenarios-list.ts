import type { CheckDocs } from "../engine/check.js";
import type { StepDeclaration } from "../engine/scenarios/scenario.js";
import { scenarioCatalogue, type ScenarioRunDeps } from "./scenarios-run.js";

/** One scenario as `bookflow scenarios list` shows it. */
export interface ScenarioListing {
  id: string;
  name: string;
  title: string;
  checklist: string;
  steps: readonly StepDeclaration[];
  docs: CheckDocs;
}

/** `bookflow scenarios list`: every scenario with its checklist entry, steps and docs, in run order. */
export async function listScenarios(deps: ScenarioRunDeps = {}): Promise<ScenarioListing[]> {
  return (await scenarioCatalogue(deps)).map((s) => ({ id: s.id, name: s.name, title: s.title, checklist: s.checklist, steps: s.steps, docs: s.docs }));
}
