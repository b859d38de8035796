/**
 * A `promtool test rules` file from alert cases: synthetic series in, and per
 * case the alerts expected at one time, with their labels and annotations
 * rendered as Prometheus renders the templates the generated rules use.
 */
import { stringify } from 'yaml';
import type { AlertingRule } from '../../src/observability/index.js';

/** One promtool test: series in, and the alerts of one rule expected at `at` (none when `fires` is empty). */
export interface AlertCase<Name extends string = string> {
  readonly title: string;
  readonly series: Readonly<Record<string, string>>;
  readonly at: string;
  readonly alert: Name;
  /** Each firing alert: the labels the expression keeps, and `$value` as the annotations render it. */
  readonly fires: readonly { readonly labels?: Readonly<Record<string, string>>; readonly value?: string }[];
}

/** The annotations as Prometheus renders these templates (only the constructs the rules use). */
export function expand(template: string, labels: Readonly<Record<string, string>>, value: string): string {
  return template
    .replace(/\{\{ with \$labels\.(\w+) \}\}(.*?)\{\{ end \}\}/g, (_, name: string, body: string) =>
      labels[name] ? body.replace('{{ . }}', labels[name]) : '',
    )
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '')
    .replace(/\{\{ \$value( \| \w+)? \}\}/g, value);
}

/** The promtool unit test file for `cases` against `rules` (loaded from `ruleFile`). */
export function promtoolTestFile(
  ruleFile: string,
  rules: readonly AlertingRule[],
  cases: readonly AlertCase[],
): string {
  const ruleOf = (name: string): AlertingRule => {
    const found = rules.find((rule) => rule.alert === name);
    if (found === undefined)
      throw new Error(`no rule ${name} among ${rules.map((rule) => rule.alert).join(', ')}`);
    return found;
  };
  return stringify(
    {
      rule_files: [ruleFile],
      evaluation_interval: '1m',
      tests: cases.map((testCase) => ({
        name: testCase.title,
        interval: '1m',
        input_series: Object.entries(testCase.series).map(([series, values]) => ({ series, values })),
        alert_rule_test: [
          {
            eval_time: testCase.at,
            alertname: testCase.alert,
            exp_alerts: testCase.fires.map((fire) => {
              const rule = ruleOf(testCase.alert);
              const labels = { ...(fire.labels ?? {}), ...rule.labels };
              return {
                exp_labels: labels,
                exp_annotations: Object.fromEntries(
                  Object.entries(rule.annotations).map(([key, text]) => [
                    key,
                    expand(text, labels, fire.value ?? ''),
                  ]),
                ),
              };
            }),
          },
        ],
      })),
    },
    { lineWidth: 0 },
  );
}
