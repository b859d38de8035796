/**
 * The Grafana panels the dashboards are made of: time series with their
 * bounds drawn as dashed constant series, and two-state timelines.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The dashboard's data source: a variable, so it works with whichever Prometheus the Grafana has. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** A series drawn as a bound: dashed, red, not stacked. */
export const BOUND_STYLE: dashboard.DynamicConfigValue[] = [
  { id: 'custom.stacking', value: { mode: 'none', group: 'A' } },
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'custom.fillOpacity', value: 0 },
  { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
];

/** What a panel draws: queries and the bounds drawn over them. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
  readonly bounds?: readonly { readonly value: number; readonly legend: string }[];
  readonly stacked?: boolean;
  readonly width?: number;
}

/** A full-width state timeline of a 0/1 series per instance: `states[0]` in red, `states[1]` in green. */
export function twoStateTimeline(spec: {
  readonly title: string;
  readonly description: string;
  readonly states: readonly [string, string];
  readonly expr: string;
  readonly legend: string;
}): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .span(12)
    .height(8)
    .min(0)
    .max(1)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: {
          0: { text: spec.states[0], color: 'red', index: 0 },
          1: { text: spec.states[1], color: 'green', index: 1 },
        },
      },
    ])
    .withTarget(new DataqueryBuilder().refId('A').expr(spec.expr).legendFormat(spec.legend));
}

/** A time series panel of the queries, with its bounds drawn as dashed red constant series. */
export function timeseriesPanel(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .min(0)
    .span(spec.width ?? 12)
    .height(8)
    .fillOpacity(spec.stacked === true ? 40 : 10)
    .lineWidth(1)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
  if (spec.stacked === true)
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  const queries = [
    ...spec.queries,
    ...(spec.bounds ?? []).map((bound) => ({ expr: `vector(${bound.value})`, legend: bound.legend })),
  ];
  queries.forEach((query, index) => {
    panel.withTarget(
      new DataqueryBuilder()
        .refId(String.fromCharCode(65 + index))
        .expr(query.expr)
        .legendFormat(query.legend),
    );
  });
  for (const bound of spec.bounds ?? []) {
    panel.overrideByName(bound.legend, BOUND_STYLE);
  }
  return panel;
}
