// The command line's help texts. Kept apart from the verbs so that `zt-mesh --help` (and a
// verb's --help) loads nothing else: a cold start stays at Node's own start-up time.

export const SYNTH_USAGE = `  zt-mesh synth [--app <command>] [--env <name>[,<name>...]] [--out <dir>]
      Runs your cdk8s app (the "app" command of cdk8s.yaml in the current directory, or
      --app) with CDK8S_OUTDIR=<dir> and, with --env, ZT_MESH_ENVIRONMENTS=<names>. Its
      MeshApp builds each selected environment's Mesh, runs the policy analyzer on it and,
      only when every one is clean, replaces <dir>/<env>/ with one YAML file per namespace.
      Default dir: $CDK8S_OUTDIR, else dist. Exit status: 0 written, 1 refused (a bad
      configuration or analyzer errors; nothing was written), 2 for a usage mistake.
`;

export const ANALYZE_USAGE = `  zt-mesh analyze <file-or-dir>... [--format text|json|markdown]
                  [--root-namespace <ns>] [--trust-domain <domain>] [--dns-auto-allocate]
                  [--outbound-traffic-policy ALLOW_ANY|REGISTRY_ONLY]
      Check Kubernetes/Istio manifests (multi-document YAML files, or directories of them,
      read recursively) for Istio configurations that silently do the wrong thing.
      Exit status: 0 when no finding is an error, 1 when one is, 2 for unusable input.
      meshConfig defaults: root namespace istio-system, trust domain cluster.local;
      --dns-auto-allocate when DNS proxying allocates ServiceEntry addresses;
      --outbound-traffic-policy states meshConfig's outboundTrafficPolicy.mode.
`;

export const ACCESS_USAGE = `  zt-mesh access check --manifests <file-or-dir>... --request <json-or-file> [--jwks <uri>=<file>]...
      Simulates one request and prints {"outcome": ..., "reason": ...}. The request is
      {"from": {"workload": "ns/name"} | {"outside": true, "ip"?: "203.0.113.7"} | {"ingress": true}, "to": "ns/service",
       "port": 8000, "method": "GET", "path": "/x", "headers": {}, "token": "<compact JWT>",
       "addressing"?: "service" | "workload", "scheme"?: "http" | "https" | "tcp"};
      for egress to a host outside the cluster, "toHost": "api.stripe.com" with its "port" instead of "to";
      "addressing": "workload" dials the pod IP ("to" names the workload, "port" is the container port).
  zt-mesh access matrix --manifests <file-or-dir>... [--format text|markdown|json]
      Every workload, an outside client and the ingress gateway against every Service port.
  zt-mesh access diff <old-dir> <new-dir> [--format text|markdown|json]
      The access edges gained and lost between two sets of manifests (exit 0 either way).
  zt-mesh access chain --manifests <file-or-dir>... --port <n>... [--path /p]... [--token <jwt> | --assume-valid-token]
                       <ns/service> <ns/service>...
      The end-user token's journey: ingress to the first service, then each to the next.
      --port and --path once for every hop, or once per hop in call order.
      [--to-host <host>:<port>] adds a last hop from the last service to a host outside the cluster.
  Common: [--root-namespace istio-system] [--trust-domain cluster.local] [--ingress-gateway <ns>/<service-account>]
          [--outbound-traffic-policy ALLOW_ANY|REGISTRY_ONLY]   (meshConfig's; a Sidecar's own mode wins)
          [--feature NAME=VALUE]...   (istiod features that change verdicts; see docs/access.md "Ambient mode")
          [--ztunnel-empty-selector all|none]   (how ztunnel attaches selector: {}; not established, so asked)
      A JWKS URI without a --jwks mapping behaves like an unreachable JWKS (every token 401).
      Exit status: 0 when the simulation ran (whatever its outcome), 2 for unusable input.
`;

export const REVIEW_USAGE = `  zt-mesh review <base-dir> <head-dir> [--root-namespace <ns>] [--trust-domain <domain>] [--dns-auto-allocate]
                  [--outbound-traffic-policy ALLOW_ANY|REGISTRY_ONLY]
      Compares two synthesized trees (one subdirectory per environment, as synth writes them:
      base before the change, head after it) and prints a Markdown report for the pull request,
      per environment: access edges gained (with the grant that allows each) and lost, analyzer
      findings new and resolved, objects added, removed and modified. kustomization.yaml files
      are ignored. Exit status: 0 reviewed, 1 head adds an analyzer error, 2 for a usage mistake.
`;

export const USAGE = `zt-mesh: a zero-trust Istio mesh as typed code

Usage:
${SYNTH_USAGE}
${ANALYZE_USAGE}
${ACCESS_USAGE}
${REVIEW_USAGE}
  zt-mesh <command> --help   prints one command's usage.
`;
