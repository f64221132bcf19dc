{{/* The injector configuration file, from .Values.injector. */}}
{{- define "lanyard.injectorConfig" -}}
{{- $i := .Values.injector -}}
webhookNamespace: {{ .Release.Namespace | quote }}
defaultRuntime: {{ $i.defaultRuntime }}
socket:
  type: {{ $i.socket.type }}
  csiDriver: {{ $i.socket.csiDriver | quote }}
  hostPath: {{ $i.socket.hostPath | quote }}
  fileName: {{ $i.socket.fileName | quote }}
javaagent:
  image: {{ include "lanyard.image" (list $i.javaagent.image .) | quote }}
  imagePullPolicy: {{ $i.javaagent.image.pullPolicy }}
  delivery: {{ $i.javaagent.delivery }}
  resources: {{ $i.javaagent.resources | toJson }}
sidecar:
  image: {{ include "lanyard.image" (list $i.sidecar.image .) | quote }}
  imagePullPolicy: {{ $i.sidecar.image.pullPolicy }}
  resources: {{ $i.sidecar.resources | toJson }}
  jvmFlags: {{ $i.sidecar.jvmFlags | toJson }}
  outbound: {{ $i.sidecar.outbound | default "" | quote }}
  timeouts:
    drain: {{ $i.sidecar.timeouts.drain | default "" | quote }}
    idle: {{ $i.sidecar.timeouts.idle | default "" | quote }}
    handshake: {{ $i.sidecar.timeouts.handshake | default "" | quote }}
defaults:
  allowedPeers: {{ $i.defaults.allowedPeers | default "" | quote }}
  startup: {{ $i.defaults.startup | default "" | quote }}
  serverIds: {{ $i.defaults.serverIds | default "" | quote }}
  meshCidrs: {{ $i.defaults.meshCidrs | default "" | quote }}
  externalHosts: {{ $i.defaults.externalHosts | default "" | quote }}
  meshHosts: {{ $i.defaults.meshHosts | default "" | quote }}
  plainPorts: {{ $i.defaults.plainPorts | default "" | quote }}
  upgradeInbound: {{ $i.defaults.upgradeInbound | default "" | quote }}
  upgradeOutbound: {{ $i.defaults.upgradeOutbound | default "" | quote }}
metrics:
  enabled: {{ $i.metrics.enabled }}
  port: {{ int $i.metrics.port }}
  scrapeAnnotations: {{ $i.metrics.scrapeAnnotations }}
ceiling:
  allowedPeers: {{ $i.ceiling.allowedPeers | default "" | quote }}
  allowAudit: {{ $i.ceiling.allowAudit }}
  auditNamespaces: {{ $i.ceiling.auditNamespaces | default list | toJson }}
namespaceLabel:
  key: {{ .Values.admission.namespaceLabel.key | quote }}
  value: {{ .Values.admission.namespaceLabel.value | quote }}
security:
  runAsUser: {{ int64 $i.runAsUser }}
  runAsGroup: {{ int64 $i.runAsGroup }}
{{- end }}
