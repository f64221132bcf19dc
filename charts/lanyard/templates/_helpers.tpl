{{/* The chart name, shortened to what Kubernetes names allow. */}}
{{- define "lanyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: <release>-lanyard, or the release name if it says lanyard. */}}
{{- define "lanyard.fullname" -}}
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

{{/* The webhook's Deployment, Service, ServiceAccount and RBAC name. */}}
{{- define "lanyard.webhookName" -}}
{{- printf "%s-webhook" (include "lanyard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding the serving certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "lanyard.tlsSecretName" -}}
{{- printf "%s-tls" (include "lanyard.webhookName" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name the API server uses for the webhook (webhook names must be qualified). */}}
{{- define "lanyard.admissionWebhookName" -}}
inject.lanyard.dev
{{- end }}

{{- define "lanyard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "lanyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lanyard
{{- end }}

{{- define "lanyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lanyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end }}

{{/* repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "lanyard.image" -}}
{{- $image := index . 0 }}{{- $root := index . 1 }}
{{- printf "%s:%s" $image.repository (toString (default $root.Chart.AppVersion $image.tag)) }}
{{- with $image.digest }}@{{ . }}{{- end }}
{{- end }}

{{/* Namespaces never sent to the webhook: the configured ones plus the release namespace. */}}
{{- define "lanyard.excludedNamespaces" -}}
{{- $excluded := concat .Values.admission.excludedNamespaces (list .Release.Namespace) | uniq }}
{{- toJson $excluded }}
{{- end }}

{{/* DNS names in the serving certificate: how the API server reaches the Service. */}}
{{- define "lanyard.serviceDnsNames" -}}
{{- $svc := include "lanyard.webhookName" . }}
{{- toJson (list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace)) }}
{{- end }}

{{/*
The chart-generated CA and certificate (tls.mode helm), computed once per render and cached in
.Values so that the Secret and the caBundle agree. An existing Secret is reused (lookup), so an
upgrade keeps the certificate the webhook pods already serve.
*/}}
{{- define "lanyard.generatedTls" -}}
{{- if not .Values._generatedTls }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "lanyard.tlsSecretName" .) }}
{{- if and $existing $existing.data (index $existing.data "ca.crt") (index $existing.data "tls.crt") (index $existing.data "tls.key") }}
{{- $_ := set .Values "_generatedTls" (dict "ca" (index $existing.data "ca.crt") "crt" (index $existing.data "tls.crt") "key" (index $existing.data "tls.key")) }}
{{- else }}
{{- $days := int .Values.tls.validityDays }}
{{- $ca := genCA (printf "%s-ca" (include "lanyard.webhookName" .)) $days }}
{{- $svc := include "lanyard.webhookName" . }}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc .Release.Namespace) nil (include "lanyard.serviceDnsNames" . | fromJsonArray) $days $ca }}
{{- $_ := set .Values "_generatedTls" (dict "ca" ($ca.Cert | b64enc) "crt" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc)) }}
{{- end }}
{{- end }}
{{- toJson .Values._generatedTls }}
{{- end }}
