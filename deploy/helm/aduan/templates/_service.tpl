{{/*
The one template of a service: ServiceAccount, ConfigMap, Deployment, Service and, when asked,
HorizontalPodAutoscaler, PodDisruptionBudget, ServiceMonitor and intake's SMTP Service.
Called by services.yaml for each block of .Values.services; ctx = dict root name svc.
*/}}

{{/* Refuse values that would break a service's guarantees (docs/scaling.md). */}}
{{- define "aduan.service.validate" -}}
{{- $name := .name -}}{{- $svc := .svc -}}{{- $v := .root.Values -}}
{{- if not (and $svc.port $svc.envPrefix) -}}
{{- fail (printf "services.%s: port and envPrefix are required" $name) -}}
{{- end -}}
{{- $replicas := int ($svc.replicas | default 1) -}}
{{- if not $svc.scaling.multipleReplicas -}}
{{- if gt $replicas 1 -}}
{{- fail (printf "services.%s.replicas=%d: %s must run as a single replica (scaling.multipleReplicas is false)" $name $replicas $name) -}}
{{- end -}}
{{- if $svc.hpa.enabled -}}
{{- fail (printf "services.%s.hpa.enabled: %s must run as a single replica (scaling.multipleReplicas is false), an HPA is not allowed" $name $name) -}}
{{- end -}}
{{- end -}}
{{- if $svc.scaling.partitionBound -}}
{{- $most := ternary (int $svc.hpa.maxReplicas) $replicas (eq $svc.hpa.enabled true) -}}
{{- if gt $most (int $v.topics.partitions) -}}
{{- fail (printf "services.%s: up to %d replicas but topics.partitions=%d; its work is its consumer group, replicas beyond the partition count stay idle" $name $most (int $v.topics.partitions)) -}}
{{- end -}}
{{- end -}}
{{- if not (has ($svc.vault | default "none") (list "public" "private" "none")) -}}
{{- fail (printf "services.%s.vault must be public, private or none, not %v" $name $svc.vault) -}}
{{- end -}}
{{- $private := or (eq ($svc.vault | default "none") "private") (hasKey ($svc.env | default dict) "ADUAN_VAULT_PRIVATE_KEY") (hasKey ($svc.secretEnv | default dict) "ADUAN_VAULT_PRIVATE_KEY") -}}
{{- if and $private (ne $name "notifier") -}}
{{- fail (printf "services.%s: only the notifier may hold the vault's private key (ADUAN_VAULT_PRIVATE_KEY)" $name) -}}
{{- end -}}
{{- end -}}

{{/* Plain settings: the ConfigMap's data, read with envFrom. */}}
{{- define "aduan.service.configData" -}}
{{- $name := .name -}}{{- $svc := .svc -}}{{- $v := .root.Values -}}
{{- $data := dict -}}
{{- range $k, $val := $v.common.env -}}{{- $_ := set $data $k (toString $val) -}}{{- end -}}
{{- $_ := set $data "KAFKA_BOOTSTRAP_SERVERS" $v.kafka.bootstrapServers -}}
{{- $_ := set $data "MONGODB_TIMEOUT_MS" (toString $v.mongodb.timeoutMs) -}}
{{- if not $v.mongodb.existingSecret -}}
{{- $_ := set $data "MONGODB_URL" (required "mongodb.url or mongodb.existingSecret is required" $v.mongodb.url) -}}
{{- end -}}
{{- $_ := set $data (printf "%sHTTP_HOST" $svc.envPrefix) "0.0.0.0" -}}
{{- $_ := set $data (printf "%sHTTP_PORT" $svc.envPrefix) (toString $svc.port) -}}
{{- if $svc.city -}}
{{- $_ := set $data "ADUAN_CITY_DIR" $v.city.mountPath -}}
{{- $_ := set $data "ADUAN_BOUNDARIES_DIR" $v.city.boundaries.mountPath -}}
{{- end -}}
{{- if $svc.auth -}}
{{- range $k, $field := dict "AUTH_JWKS_URL" "jwksUrl" "AUTH_AUDIENCE" "audience" "AUTH_ISSUER" "issuer" -}}
{{- with index $v.auth $field -}}{{- $_ := set $data $k . -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if $svc.smtp -}}
{{- if $svc.smtp.enabled -}}
{{- $_ := set $data (printf "%sSMTP_HOST" $svc.envPrefix) "0.0.0.0" -}}
{{- $_ := set $data (printf "%sSMTP_PORT" $svc.envPrefix) (toString $svc.smtp.containerPort) -}}
{{- else -}}
{{- $_ := set $data (printf "%sSMTP_PORT" $svc.envPrefix) "0" -}}
{{- end -}}
{{- end -}}
{{- range $k, $val := $svc.env -}}{{- $_ := set $data $k (toString $val) -}}{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* Secret settings: env entries with secretKeyRef. */}}
{{- define "aduan.service.secretEnv" -}}
{{- $name := .name -}}{{- $svc := .svc -}}{{- $v := .root.Values -}}
{{- $refs := dict -}}
{{- with $v.mongodb.existingSecret -}}
{{- $_ := set $refs "MONGODB_URL" (dict "secretName" . "key" $v.mongodb.secretKey) -}}
{{- end -}}
{{- if and $svc.auth (not $v.auth.jwksUrl) -}}
{{- $_ := set $refs "AUTH_JWT_SECRET" $v.auth.jwtSecret -}}
{{- end -}}
{{- if eq ($svc.vault | default "none") "public" -}}
{{- $_ := set $refs "ADUAN_VAULT_PUBLIC_KEY" $v.vault.publicKey -}}
{{- else if eq $svc.vault "private" -}}
{{- $_ := set $refs "ADUAN_VAULT_PRIVATE_KEY" $v.vault.privateKey -}}
{{- end -}}
{{- range $k, $ref := $svc.secretEnv -}}{{- $_ := set $refs $k $ref -}}{{- end -}}
{{- range $k := keys $refs | sortAlpha }}
{{- $ref := index $refs $k }}
- name: {{ $k }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "services.%s: secretName of %s" $name $k) $ref.secretName }}
      key: {{ required (printf "services.%s: key of %s" $name $k) $ref.key }}
      {{- if $ref.optional }}
      optional: true
      {{- end }}
{{- end }}
{{- end -}}

{{- define "aduan.service" -}}
{{- include "aduan.service.validate" . -}}
{{- $root := .root -}}{{- $name := .name -}}{{- $svc := .svc -}}{{- $v := .root.Values -}}
{{- $full := printf "%s-%s" (include "aduan.fullname" $root) $name -}}
{{- $config := include "aduan.service.configData" . -}}
{{- $smtp := and $svc.smtp $svc.smtp.enabled -}}
{{- $boundaries := $v.city.boundaries -}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
data:
  {{- $config | nindent 2 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
spec:
  {{- if not $svc.hpa.enabled }}
  replicas: {{ $svc.replicas | default 1 }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "aduan.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels:
        {{- include "aduan.labels" $root | nindent 8 }}
        {{- include "aduan.selectorLabels" . | nindent 8 }}
      annotations:
        checksum/config: {{ $config | sha256sum }}
        {{- with $v.common.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $full }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $v.common.terminationGracePeriodSeconds }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      {{- if and $svc.city (eq $boundaries.source "image") }}
      initContainers:
        - name: boundaries
          image: {{ printf "%s:%s" $boundaries.image.repository $boundaries.image.tag }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: ["sh", "-c", {{ printf "cp -R %s/. /out/ && ls -l /out" $boundaries.image.path | quote }}]
          securityContext:
            {{- include "aduan.containerSecurityContext" . | nindent 12 }}
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 200m, memory: 64Mi}
          volumeMounts:
            - {name: boundaries, mountPath: /out}
      {{- end }}
      containers:
        - name: {{ $name }}
          image: {{ include "aduan.image" . }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - {name: http, containerPort: {{ $svc.port }}, protocol: TCP}
            {{- if $smtp }}
            - {name: smtp, containerPort: {{ $svc.smtp.containerPort }}, protocol: TCP}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $full }}
          env:
            {{- include "aduan.service.secretEnv" . | nindent 12 }}
          startupProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            requests:
              {{- required (printf "services.%s.resources.requests is required" $name) $svc.resources.requests | toYaml | nindent 14 }}
            limits:
              {{- required (printf "services.%s.resources.limits is required" $name) $svc.resources.limits | toYaml | nindent 14 }}
          securityContext:
            {{- include "aduan.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
            {{- if $svc.city }}
            - {name: city, mountPath: {{ $v.city.mountPath }}, readOnly: true}
            - {name: boundaries, mountPath: {{ $boundaries.mountPath }}, readOnly: true}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {sizeLimit: 256Mi}
        {{- if $svc.city }}
        - name: city
          configMap:
            name: {{ $v.city.existingConfigMap | default (printf "%s-city" (include "aduan.fullname" $root)) }}
        - name: boundaries
          {{- if eq $boundaries.source "image" }}
          emptyDir: {sizeLimit: 512Mi}
          {{- else if eq $boundaries.source "pvc" }}
          persistentVolumeClaim:
            claimName: {{ $boundaries.pvc.claimName }}
            readOnly: true
          {{- else if eq $boundaries.source "configMap" }}
          configMap:
            name: {{ $boundaries.configMap.name }}
          {{- else }}
          {{- fail (printf "city.boundaries.source must be image, pvc or configMap, not %v" $boundaries.source) }}
          {{- end }}
        {{- end }}
      {{- if $v.common.topologySpread }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "aduan.selectorLabels" . | nindent 14 }}
      {{- end }}
      {{- with $v.common.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.common.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.common.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "aduan.selectorLabels" . | nindent 4 }}
  ports:
    - {name: http, port: {{ $svc.port }}, targetPort: http, protocol: TCP}
{{- if $smtp }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $full }}-smtp
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
  {{- with $svc.smtp.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $svc.smtp.service.type }}
  {{- if and (ne $svc.smtp.service.type "ClusterIP") $svc.smtp.service.externalTrafficPolicy }}
  externalTrafficPolicy: {{ $svc.smtp.service.externalTrafficPolicy }}
  {{- end }}
  selector:
    {{- include "aduan.selectorLabels" . | nindent 4 }}
  ports:
    - name: smtp
      port: {{ $svc.smtp.service.port }}
      targetPort: smtp
      protocol: TCP
      {{- if and (eq $svc.smtp.service.type "NodePort") $svc.smtp.service.nodePort }}
      nodePort: {{ $svc.smtp.service.nodePort }}
      {{- end }}
{{- end }}
{{- if $svc.hpa.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $full }}
  minReplicas: {{ $svc.hpa.minReplicas }}
  maxReplicas: {{ $svc.hpa.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $svc.hpa.targetCPUUtilizationPercentage }}
{{- end }}
{{- $fewest := ternary (int $svc.hpa.minReplicas) (int ($svc.replicas | default 1)) (eq $svc.hpa.enabled true) }}
{{- if and $svc.pdb.enabled (gt $fewest 1) }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
spec:
  minAvailable: {{ $svc.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "aduan.selectorLabels" . | nindent 6 }}
{{- end }}
{{- if $svc.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $full }}
  labels:
    {{- include "aduan.labels" $root | nindent 4 }}
    {{- include "aduan.selectorLabels" . | nindent 4 }}
    {{- with $v.monitoring.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "aduan.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $v.monitoring.serviceMonitor.interval }}
{{- end }}
{{- end -}}
