import ipaddr from 'ipaddr.js';
import type { K8sObject } from './k8s-render.js';

/**
 * A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics) for checking rendered manifests
 * against a table of flows: a pod is isolated for a direction once any policy selecting it lists that
 * direction in policyTypes; then a flow is admitted only if some selecting policy has a rule whose peers
 * and ports match. A connection needs the source's egress and the destination's ingress. Pods outside
 * every policy's namespace are not isolated. Kubelet probes are not modelled (implementations admit them).
 */

export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface Peer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  readonly port?: number | string;
  readonly protocol?: string;
}

interface Rule {
  readonly from?: Peer[];
  readonly to?: Peer[];
  readonly ports?: PolicyPort[];
}

interface PolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes?: ('Ingress' | 'Egress')[];
  readonly ingress?: Rule[];
  readonly egress?: Rule[];
}

/** A pod: its namespace (with the namespace's labels), its labels, an address, and its named ports. */
export interface Pod {
  readonly kind: 'pod';
  readonly namespace: string;
  readonly namespaceLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly ip: string;
  readonly namedPorts?: Record<string, number>;
}

/** Something outside the cluster's pods (the internet, a managed Redis, the metadata address). */
export interface External {
  readonly kind: 'external';
  readonly ip: string;
}

export type Endpoint = Pod | External;

export interface Flow {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

export function matchesSelector(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(value!))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function inCidr(ip: string, cidr: string): boolean {
  const addr = ipaddr.parse(ip);
  const [range, bits] = ipaddr.parseCIDR(cidr);
  return addr.kind() === range.kind() && addr.match(range, bits);
}

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    // ipBlock is meant for addresses outside the cluster's pods; pod IPs are ephemeral and not modelled.
    if (other.kind !== 'external') return false;
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  }
  if (other.kind !== 'pod') return false;
  const namespaceOk = peer.namespaceSelector ? matchesSelector(peer.namespaceSelector, other.namespaceLabels) : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? matchesSelector(peer.podSelector, other.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(ports: PolicyPort[] | undefined, flow: Flow, target: Endpoint): boolean {
  if (ports === undefined || ports.length === 0) return true;
  const protocol = flow.protocol ?? 'TCP';
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return p.port === flow.port;
    return target.kind === 'pod' && target.namedPorts?.[p.port] === flow.port;
  });
}

interface Policy {
  readonly namespace: string;
  readonly spec: PolicySpec;
}

export function policiesOf(objects: readonly K8sObject[]): Policy[] {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => ({ namespace: o.metadata.namespace ?? 'default', spec: o.spec as unknown as PolicySpec }));
}

function typesOf(spec: PolicySpec): ('Ingress' | 'Egress')[] {
  if (spec.policyTypes) return spec.policyTypes;
  return spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

function allowedOneSide(policies: readonly Policy[], pod: Endpoint, direction: 'Ingress' | 'Egress', flow: Flow): boolean {
  if (pod.kind !== 'pod') return true;
  const selecting = policies.filter((p) => p.namespace === pod.namespace && matchesSelector(p.spec.podSelector, pod.labels) && typesOf(p.spec).includes(direction));
  if (selecting.length === 0) return true;
  const peer = direction === 'Ingress' ? flow.from : flow.to;
  return selecting.some((p) =>
    (direction === 'Ingress' ? p.spec.ingress : p.spec.egress)?.some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk = peers === undefined || peers.length === 0 || peers.some((x) => peerMatches(x, p.namespace, peer));
      return peerOk && portMatches(rule.ports, flow, flow.to);
    }) ?? false,
  );
}

/** Whether the rendered policies let this connection through: the source's egress and the destination's ingress. */
export function isAllowed(policies: readonly Policy[], flow: Flow): boolean {
  return allowedOneSide(policies, flow.from, 'Egress', flow) && allowedOneSide(policies, flow.to, 'Ingress', flow);
}
