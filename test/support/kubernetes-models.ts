/**
 * Validates synthesized Kubernetes objects with kubernetes-models (v4), which
 * checks them against the Kubernetes OpenAPI schemas, and the prometheus-operator
 * kinds against their CRD schemas (@kubernetes-models/prometheus-operator).
 */
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';

interface Validatable {
  validate(): void;
}

const MODELS: Readonly<Record<string, new (data: never) => Validatable>> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1 PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1 PrometheusRule': PrometheusRule,
};

/** Throws when the object is invalid or of a kind without a validator here. */
export function validateKubernetesObject(object: { apiVersion?: unknown; kind?: unknown }): void {
  const key = `${String(object.apiVersion)} ${String(object.kind)}`;
  const Model = MODELS[key];
  if (Model === undefined) throw new Error(`no kubernetes-models validator for ${key}`);
  new Model(object as never).validate();
}
