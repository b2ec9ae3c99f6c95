{{/* Names, labels and images shared by every template. */}}

{{- define "aduan.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "aduan.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: aduan
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels of what belongs to no one service. */}}
{{- define "aduan.commonLabels" -}}
{{ include "aduan.labels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one service; ctx = dict root name. */}}
{{- define "aduan.selectorLabels" -}}
app.kubernetes.io/name: aduan-{{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The image of one service; ctx = dict root name svc. */}}
{{- define "aduan.image" -}}
{{- $img := .svc.image | default dict -}}
{{- $repo := $img.repository | default (printf "%s/aduan-%s" .root.Values.image.registry .name) -}}
{{- $tag := $img.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/* The restricted security context every container runs with. */}}
{{- define "aduan.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Path-safe ConfigMap name part from a file name. */}}
{{- define "aduan.fileSlug" -}}
{{- regexReplaceAll "[^a-z0-9-]+" (lower (base .) | trimSuffix ".json" | trimSuffix ".yaml" | trimSuffix ".yml") "-" | trunc 40 | trimSuffix "-" -}}
{{- end -}}
