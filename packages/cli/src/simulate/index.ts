// `switchboard simulate`: call rehearsals from a YAML script, through the runtime client.
export { simulateCommand } from './simulate-command.js';
export type { SimulateFlags } from './simulate-command.js';
export { parseSimulationScript } from './script.js';
export type { SimulationScript, ScriptTurn, TurnExpectation } from './script.js';
