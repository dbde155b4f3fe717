/**
 * The `kubeling` binary's commands (kubeling.ts loads this): one executable, subcommands. `kubeling server ...` runs the all-in-one control plane
 * (see server.ts); `kubeling kubectl ...` runs the bundled kubectl against it (kubectl.ts). Usage errors
 * print one line to stderr and exit 2; an unknown command adds the usage text (USAGE, every subcommand with
 * its flags), which `kubeling --help` prints on stdout with exit 0.
 */
import { runServer } from './server.ts';
import { runImage } from './image.ts';
import { runRun } from '../cli/run.ts';
import { AGENT_USAGE, runAgent } from './agent.ts';
import { runSimulate } from './simulate.ts';
import { runKubectl } from './kubectl.ts';
import { runWhy, WHY_USAGE } from './why.ts';
import { COMPLETION_USAGE, runCompletion } from './completion.ts';
import { KILLALL_USAGE, runKillall } from './killall.ts';

/** Every subcommand with its flags (kept beside the parsers' own one-line usages). */
export const USAGE = `usage: kubeling COMMAND [FLAGS]

commands:
  kubeling server [--data-dir DIR] [--listen HOST:PORT] [--storage sqlite|memory|etcd://HOST:PORT[,HOST:PORT]]
      [--runtime oci|fake] [--no-agent] [--dashboard[=false]] [--disable-scheduler] [--disable-controller-manager] [--scheduler-thread[=false]] [--node-name N]
      [--node-labels k=v,...] [--register-with-taints k=v:Effect,...] [--node-taint k=v:Effect,...]
      [--cluster-cidr CIDR] [--pod-manifest-path DIR] [--private-registry FILE] [--tls-san NAME]... [--protect-kernel-defaults]
      [--max-endpoints-per-slice N] [--service-cidr CIDR] [--service-node-port-range LOW-HIGH]
      [--cluster-dns IP] [--cluster-domain DOMAIN] [--leader-elect[=false]] [--token TOKEN|--token-file FILE]
      [--pod-network host-gw|vxlan] [--node-ip IP] [--log-format text|json]
      [--node-monitor-grace-period DURATION] [--node-monitor-period DURATION] [--node-eviction-rate RATE]
      [--secondary-node-eviction-rate RATE] [--unhealthy-zone-threshold FRACTION]
      [--large-cluster-size-threshold N] [--default-not-ready-toleration-seconds N]
      [--default-unreachable-toleration-seconds N] [--terminated-pod-gc-threshold N]
      [--horizontal-pod-autoscaler-sync-period D] [--horizontal-pod-autoscaler-downscale-stabilization D]
      [--horizontal-pod-autoscaler-tolerance F] [--horizontal-pod-autoscaler-cpu-initialization-period D]
      [--horizontal-pod-autoscaler-initial-readiness-delay D]
      [--encryption-provider-config FILE]
      [--audit-policy-file FILE --audit-log-path FILE|-] [--audit-log-maxage DAYS] [--audit-log-maxbackup N]
      [--audit-log-maxsize MB] [--audit-log-format json]
      [--admission-control-config-file FILE] [--disable-admission-plugins PodPreset,LimitRanger,ResourceQuota] [--enable-admission-plugins NAMES]
      [--service-account-issuer URL]... [--api-audiences A,...] [--service-account-max-token-expiration DURATION]
      [--service-account-jwks-uri URL]
      [--max-requests-inflight N] [--max-mutating-requests-inflight N] [--max-watches-per-user N]
      [--request-timeout DURATION] [--kube-api-qps QPS] [--kube-api-burst N]
      the control plane and (unless --no-agent) a local node
  ${AGENT_USAGE.replace(' [--node-name', '\n      [--node-name').replace(' [--node-labels', '\n      [--node-labels').replace(' [--pod-manifest-path', '\n      [--pod-manifest-path').replace(' [--service-cidr', '\n      [--service-cidr').replace(' [--simulate', '\n      [--simulate')}
      joins this machine to a server as a node
  kubeling run FILE.yaml [--runtime oci|fake] [--storage memory|sqlite] [--data-dir DIR] [--timeout DURATION]
      runs the manifests in FILE on an embedded server, streams status and logs
  kubeling image import ARCHIVE [--tag REF] | pull REF [--creds USER:PASSWORD] | ls [-q] [--digests] | rm REF...
      [--data-dir DIR]
      manages the node's image store
  kubeling kubectl [--data-dir DIR] ARGS...
      runs kubectl 1.32 (shipped with kubeling) with the server's admin kubeconfig (DIR/kubeconfig.yaml;
      an exported KUBECONFIG wins)
  ${WHY_USAGE}
      answers why the object is not Running/Ready in one sentence, with the evidence (or the pod's timeline)
  ${KILLALL_USAGE}
      stops every pod of DIR's stopped node and removes what it made (netns, mounts, bridge, nft tables)
  ${COMPLETION_USAGE}
      prints a shell completion script (source <(kubeling completion bash))
  kubeling simulate kill NODE | revive NODE | list [--data-dir DIR]
      kills or revives a node of a running kubeling agent --simulate N (DIR is the agent's)
  kubeling --help
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  server: runServer,
  image: runImage,
  run: runRun,
  agent: runAgent,
  kubectl: runKubectl,
  why: runWhy,
  completion: async (argv) => runCompletion(argv, USAGE),
  killall: runKillall,
  simulate: runSimulate,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    // Asked for: stdout and success; missing: a usage error on stderr.
    (command === undefined ? process.stderr : process.stdout).write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`kubeling: unknown command ${JSON.stringify(command)} (want one of: ${Object.keys(COMMANDS).join(', ')})\n${USAGE}`);
    return 2;
  }
  return run(rest);
}

