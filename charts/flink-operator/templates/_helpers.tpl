{{/* Name of the chart, overridable. */}}
{{- define "flink-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects. */}}
{{- define "flink-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of cluster-scoped objects: unique per release namespace, so two releases of the
same name in different namespaces do not fight over one ClusterRole. */}}
{{- define "flink-operator.clusterName" -}}
{{- printf "%s-%s" (include "flink-operator.fullname" .) .Release.Namespace | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flink-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "flink-operator.labels" -}}
helm.sh/chart: {{ include "flink-operator.chart" . }}
{{ include "flink-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator's pods. */}}
{{- define "flink-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flink-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "flink-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flink-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator image. */}}
{{- define "flink-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* "true" when leader election is on: asked for, or more than one replica. */}}
{{- define "flink-operator.leaderElection" -}}
{{- if or .Values.operator.leaderElection (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{/* Namespaces of the Flink pods' ServiceAccount and Role, one per line. */}}
{{- define "flink-operator.flinkNamespaces" -}}
{{- $ns := .Values.flink.namespaces | default .Values.watchNamespaces | default (list .Release.Namespace) }}
{{- range $ns }}
{{ . }}
{{- end }}
{{- end }}

{{/* Where the default Flink configuration is mounted. */}}
{{- define "flink-operator.defaultConfigPath" -}}
/etc/flink-operator/default-config.yaml
{{- end }}
