/** Starting manifests for "Create from YAML", per kind; a generic skeleton for any other kind. */

const TEMPLATES = {
  pods: (ns) => `apiVersion: v1
kind: Pod
metadata:
  name: my-pod
  namespace: ${ns}
  labels:
    app: my-app
spec:
  containers:
    - name: main
      image: nginx:1.27
      ports:
        - containerPort: 80
`,
  deployments: (ns) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-app
  namespace: ${ns}
  labels:
    app: my-app
spec:
  replicas: 2
  selector:
    matchLabels:
      app: my-app
  template:
    metadata:
      labels:
        app: my-app
    spec:
      containers:
        - name: main
          image: nginx:1.27
          ports:
            - containerPort: 80
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
`,
  services: (ns) => `apiVersion: v1
kind: Service
metadata:
  name: my-service
  namespace: ${ns}
spec:
  type: ClusterIP
  selector:
    app: my-app
  ports:
    - name: http
      port: 80
      targetPort: 80
`,
  configmaps: (ns) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: my-config
  namespace: ${ns}
data:
  LOG_LEVEL: info
  app.properties: |
    feature.enabled=true
`,
  secrets: (ns) => `apiVersion: v1
kind: Secret
metadata:
  name: my-secret
  namespace: ${ns}
type: Opaque
stringData:
  username: admin
  password: change-me
`,
  jobs: (ns) => `apiVersion: batch/v1
kind: Job
metadata:
  name: my-job
  namespace: ${ns}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "echo hello"]
`,
  cronjobs: (ns) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: my-cronjob
  namespace: ${ns}
spec:
  schedule: "*/15 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: main
              image: busybox:1.36
              command: ["sh", "-c", "date"]
`,
  namespaces: () => `apiVersion: v1
kind: Namespace
metadata:
  name: my-namespace
`,
  serviceaccounts: (ns) => `apiVersion: v1
kind: ServiceAccount
metadata:
  name: my-service-account
  namespace: ${ns}
`,
  persistentvolumeclaims: (ns) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: my-claim
  namespace: ${ns}
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
`,
};

/**
 * A starting manifest.
 * @param {{name: string, kind?: string, group?: string, version?: string, namespaced?: boolean}|null} kind
 * @param {string} namespace default namespace for namespaced kinds
 * @returns {string}
 */
export function templateFor(kind, namespace) {
  const ns = namespace || "default";
  const known = kind && TEMPLATES[kind.name];
  if (known) return known(ns);
  if (!kind) return TEMPLATES.configmaps(ns);
  const apiVersion = kind.group ? `${kind.group}/${kind.version || "v1"}` : kind.version || "v1";
  return `apiVersion: ${apiVersion}
kind: ${kind.kind}
metadata:
  name: my-${(kind.kind || "object").toLowerCase()}
${kind.namespaced === false ? "" : `  namespace: ${ns}\n`}spec: {}
`;
}
