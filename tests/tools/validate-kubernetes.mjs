// Validates the Kubernetes manifests in a folder against the official object schemas (kubernetes-models, generated
// from the Kubernetes OpenAPI definitions) and checks that they fit together: kustomization lists every file,
// Services and the PodDisruptionBudget select the Deployment's pods and name its ports, envFrom names an existing
// ConfigMap and Secret, the ServiceAccount has the RBAC Orleans' Kubernetes hosting needs, probes hit /ready and
// /health, and the grace period outlasts the silo's shutdown timeout.
//   node validate-kubernetes.mjs ../../deploy/kubernetes
// Prints one line per object and each problem; exits 1 when there is any.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: node validate-kubernetes.mjs <folder>");
  process.exit(2);
}

const problems = [];
const objects = [];
let kustomization = null;
const files = readdirSync(folder).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
for (const file of files) {
  for (const document of parseAllDocuments(readFileSync(join(folder, file), "utf8"))) {
    if (document.errors.length > 0) {
      problems.push(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    if (object.kind === "Kustomization") {
      kustomization = { file, object };
      continue;
    }
    objects.push({ file, object });
  }
}

// Schema validation through the model class of each apiVersion/kind.
for (const { file, object } of objects) {
  const name = `${file}: ${object.kind}/${object.metadata?.name}`;
  let models;
  try {
    models = await import(`kubernetes-models/${object.apiVersion}`);
  } catch {
    problems.push(`${name}: unknown apiVersion ${object.apiVersion}`);
    continue;
  }
  const Model = models[object.kind];
  if (!Model) {
    problems.push(`${name}: ${object.apiVersion} has no kind ${object.kind}`);
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`valid   ${name} (${object.apiVersion})`);
  } catch (error) {
    problems.push(`${name}: ${error.message}`);
  }
}

const byKind = (kind) => objects.map((o) => o.object).filter((o) => o.kind === kind);
const one = (kind) => byKind(kind)[0];
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const check = (condition, message) => { if (!condition) problems.push(message); };

if (kustomization) {
  const listed = new Set(kustomization.object.resources ?? []);
  for (const file of files.filter((f) => f !== kustomization.file)) {
    check(listed.has(file), `${kustomization.file}: resources does not list ${file}`);
  }
  for (const file of listed) check(files.includes(file), `${kustomization.file}: lists missing file ${file}`);
}

const deployment = one("Deployment");
check(deployment, "no Deployment");
if (deployment) {
  const pod = deployment.spec.template;
  const labels = pod.metadata?.labels ?? {};
  const container = pod.spec.containers[0];
  const portNames = new Set((container.ports ?? []).map((p) => p.name));
  check(matches(deployment.spec.selector.matchLabels, labels), "Deployment: selector does not match its pod labels");

  for (const service of byKind("Service")) {
    check(matches(service.spec.selector, labels), `Service/${service.metadata.name}: selector does not match the silo pods`);
    for (const port of service.spec.ports) {
      check(typeof port.targetPort !== "string" || portNames.has(port.targetPort),
        `Service/${service.metadata.name}: targetPort ${port.targetPort} is not a container port name`);
    }
  }
  for (const pdb of byKind("PodDisruptionBudget")) {
    check(matches(pdb.spec.selector.matchLabels, labels), `PodDisruptionBudget/${pdb.metadata.name}: selector does not match the silo pods`);
  }
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    check(hpa.spec.scaleTargetRef.kind === "Deployment" && hpa.spec.scaleTargetRef.name === deployment.metadata.name,
      `HorizontalPodAutoscaler/${hpa.metadata.name}: does not scale Deployment/${deployment.metadata.name}`);
    check(container.resources?.requests?.cpu, "HorizontalPodAutoscaler on CPU needs a CPU request on the silo container");
  }

  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) check(byKind("ConfigMap").some((c) => c.metadata.name === source.configMapRef.name), `envFrom: no ConfigMap ${source.configMapRef.name}`);
    if (source.secretRef) check(byKind("Secret").some((s) => s.metadata.name === source.secretRef.name), `envFrom: no Secret ${source.secretRef.name}`);
  }
  const env = new Set((container.env ?? []).map((e) => e.name));
  for (const name of ["POD_NAME", "POD_NAMESPACE", "POD_IP"]) check(env.has(name), `silo container: ${name} (downward API) is missing`);

  check(container.readinessProbe?.httpGet?.path === "/ready", "readinessProbe must GET /ready");
  check(container.livenessProbe?.httpGet?.path === "/health", "livenessProbe must GET /health");
  check(container.resources?.limits?.memory, "silo container: no memory limit");
  check(pod.spec.securityContext?.runAsNonRoot === true, "pod must run as non-root");

  const config = Object.assign({}, ...byKind("ConfigMap").map((c) => c.data ?? {}));
  check(config.Cluster__KubernetesHosting === "true", "ConfigMap: Cluster__KubernetesHosting must be \"true\"");
  check(labels["orleans/serviceId"] === config.Cluster__ServiceId && labels["orleans/clusterId"] === config.Cluster__ClusterId,
    "pod labels orleans/serviceId and orleans/clusterId must equal Cluster__ServiceId and Cluster__ClusterId");
  const shutdown = /^(\d+):(\d+):(\d+)$/.exec(config.Cluster__ShutdownTimeout ?? "00:00:30");
  const shutdownSeconds = shutdown ? Number(shutdown[1]) * 3600 + Number(shutdown[2]) * 60 + Number(shutdown[3]) : NaN;
  const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  check((pod.spec.terminationGracePeriodSeconds ?? 30) > shutdownSeconds + preStop,
    `terminationGracePeriodSeconds must exceed Cluster__ShutdownTimeout (${shutdownSeconds} s) + preStop (${preStop} s)`);

  const account = pod.spec.serviceAccountName;
  check(byKind("ServiceAccount").some((a) => a.metadata.name === account), `no ServiceAccount ${account}`);
  const binding = byKind("RoleBinding").find((b) => b.subjects?.some((s) => s.kind === "ServiceAccount" && s.name === account));
  check(binding, `no RoleBinding for ServiceAccount ${account}`);
  const role = binding && byKind("Role").find((r) => r.metadata.name === binding.roleRef.name);
  const podVerbs = new Set((role?.rules ?? []).filter((r) => r.resources?.includes("pods")).flatMap((r) => r.verbs));
  for (const verb of ["get", "list", "watch", "patch"]) check(podVerbs.has(verb), `Role must allow ${verb} on pods (Orleans Kubernetes hosting)`);
}

for (const problem of problems) console.error(`problem ${problem}`);
console.log(`${objects.length} objects, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
