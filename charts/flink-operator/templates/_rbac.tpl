{{/*
Exactly what the operator needs in a namespace it watches (CONTRACT: the chart grants exactly
this, no wildcards). It reads no Secrets.
- its custom resources: read and watch, patch/update (finalizers, spec-hash annotations),
  their status and finalizers subresources;
- the objects a standalone Flink cluster is made of (Deployments, Services, ConfigMaps,
  Ingresses): full lifecycle, applied server-side;
- Pods: read only (JobManager readiness, pod addresses, crash loops);
- Events, both APIs: record what happened.
*/}}
{{- define "flink-operator.rules" -}}
- apiGroups: ["flink.apache.org"]
  resources: ["flinkdeployments", "flinksessionjobs"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["flink.apache.org"]
  resources: ["flinkdeployments/status", "flinksessionjobs/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["flink.apache.org"]
  resources: ["flinkdeployments/finalizers", "flinksessionjobs/finalizers"]
  verbs: ["update"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["services", "configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/*
What Flink's own pods need. A standalone cluster without high availability never calls the
Kubernetes API (the operator creates every object, Flink finds its peers through Service
names), so read-only ConfigMap access is the most it could ask for. Flink's Kubernetes HA
(`high-availability.type: kubernetes`) keeps leader and checkpoint pointers in ConfigMaps it
creates, updates and deletes itself.
*/}}
{{- define "flink-operator.flinkRules" -}}
- apiGroups: [""]
  resources: ["configmaps"]
{{- if .Values.flink.highAvailability }}
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- else }}
  verbs: ["get", "list", "watch"]
{{- end }}
{{- end }}
