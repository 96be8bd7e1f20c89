/**
 * The nodes file the simulator writes for `kubemeter server --nodes-file`: a JSON list (a YAML
 * subset) of `{name, address, port, labels, capacity, allocatable}`. A faulty node carries the
 * label `simulate.kubemeter.io/fault: <kind>`, so tests and benchmarks can tell healthy nodes
 * from the file alone.
 */
import type { FaultKind } from './faults.ts';
import type { NodeModel } from './model.ts';

/** Label naming a node's simulated fault. */
export const faultLabel = 'simulate.kubemeter.io/fault';

/** What the file needs to know about a node. */
export interface NodeFileEntry {
  name: string;
  address: string;
  port: number;
  fault: FaultKind | undefined;
  model: NodeModel;
}

/** The file's text, one node per line. */
export function nodesFileText(nodes: readonly NodeFileEntry[]): string {
  const lines = nodes.map((n) => {
    const m = n.model;
    const memKi = Math.floor(m.memoryCapacityBytes / 1024);
    // The kubelet reserves some CPU and memory for itself and the system.
    const allocCpu = `${m.cpuCores * 1000 - 100 - 10 * m.cpuCores}m`;
    const allocKi = memKi - 1_048_576 - Math.floor(memKi / 50);
    return JSON.stringify({
      name: n.name,
      address: n.address,
      port: n.port,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': `sim.${m.cpuCores}xlarge`,
        ...(n.fault === undefined ? {} : { [faultLabel]: n.fault }),
      },
      capacity: { cpu: String(m.cpuCores), memory: `${memKi}Ki`, pods: '110' },
      allocatable: { cpu: allocCpu, memory: `${allocKi}Ki`, pods: '110' },
    });
  });
  return `[\n${lines.join(',\n')}\n]\n`;
}
