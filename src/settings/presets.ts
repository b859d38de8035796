/**
 * The guide's recommended settings by deployment size ("Recommended Settings by
 * Deployment Size"), kept as data in `templates/presets.json` and used as the
 * first layer of an environment's variables.
 */
import presets from '../../templates/presets.json' with { type: 'json' };
import { SynthError } from '../synth/synthesize.js';
import type { EnvironmentValues } from './rendered-environment.js';

/** A preset of the guide: `small`, `medium`, `large` or `kubernetes`. */
export type PresetName = keyof typeof presets;

/** The presets, exactly as the guide lists them. */
export const PRESETS: Readonly<Record<PresetName, EnvironmentValues>> = presets;

/**
 * The preset's variables, or none when no preset is chosen.
 * @throws SynthError for a name that is not a preset (`main.ts` runs through tsx, which does not type-check).
 */
export function presetValues(name: PresetName | undefined): EnvironmentValues {
  if (name === undefined) return {};
  if (!Object.hasOwn(PRESETS, name)) {
    throw new SynthError([
      `preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(name)}`,
    ]);
  }
  return PRESETS[name];
}
