{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "kubemeter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name, as in metrics-server's chart: the release name when it already contains the
chart name, else "<release>-<chart>". fullnameOverride=metrics-server keeps metrics-server's names.
*/}}
{{- define "kubemeter.fullname" -}}
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

{{- define "kubemeter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "kubemeter.labels" -}}
helm.sh/chart: {{ include "kubemeter.chart" . }}
{{ include "kubemeter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the server's pods. */}}
{{- define "kubemeter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubemeter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels that select the agent's pods. */}}
{{- define "kubemeter.agentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "kubemeter.name" . }}-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kubemeter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubemeter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kubemeter.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "kubemeter.agentImage" -}}
{{- $repo := default .Values.image.repository .Values.agent.image.repository }}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) .Values.agent.image.tag }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* The tls.type, validated; "metrics-server" is accepted as an alias of "kubemeter". */}}
{{- define "kubemeter.tlsType" -}}
{{- $t := .Values.tls.type }}
{{- if eq $t "metrics-server" }}{{ $t = "kubemeter" }}{{ end }}
{{- if not (has $t (list "kubemeter" "helm" "cert-manager" "existingSecret")) }}
{{- fail (printf "tls.type must be one of kubemeter, metrics-server, helm, cert-manager, existingSecret; got %q" .Values.tls.type) }}
{{- end }}
{{- $t }}
{{- end }}

{{/* Name of the Secret that holds the serving certificate, when the chart mounts one. */}}
{{- define "kubemeter.tlsSecretName" -}}
{{- if eq (include "kubemeter.tlsType" .) "existingSecret" }}
{{- required "tls.existingSecret.name is required with tls.type=existingSecret" .Values.tls.existingSecret.name }}
{{- else }}
{{- printf "%s-tls" (include "kubemeter.fullname" .) }}
{{- end }}
{{- end }}

{{/* DNS names the serving certificate must cover; kube-apiserver dials <service>.<namespace>.svc. */}}
{{- define "kubemeter.dnsNames" -}}
{{- $svc := include "kubemeter.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.tls.clusterDomain) | toJson }}
{{- end }}

{{/* The server's paths that need no authorization. */}}
{{- define "kubemeter.alwaysAllowPaths" -}}
{{- if .Values.metrics.enabled }}/healthz,/readyz,/livez,/metrics{{ else }}/healthz,/readyz,/livez{{ end }}
{{- end }}

{{/*
The serving certificate for tls.type=helm, as JSON {crt, key, ca} (base64 PEM). Generated once per
render and memoised in .Values, because the Secret, the APIService caBundle and the pod checksum
must all see the same certificate while Helm renders each template separately. With
tls.helm.lookup the certificate already in the cluster is reused, so upgrades do not rotate it.
*/}}
{{- define "kubemeter.helmCerts" -}}
{{- if not (hasKey .Values "__kubemeterCerts") }}
{{- $certs := dict }}
{{- if .Values.tls.helm.lookup }}
{{- $prev := lookup "v1" "Secret" .Release.Namespace (include "kubemeter.tlsSecretName" .) }}
{{- $data := dict }}
{{- if $prev }}{{ $data = $prev.data | default dict }}{{ end }}
{{- if and (hasKey $data "tls.crt") (hasKey $data "tls.key") (hasKey $data "ca.crt") }}
{{- $certs = dict "crt" (index $data "tls.crt") "key" (index $data "tls.key") "ca" (index $data "ca.crt") }}
{{- end }}
{{- end }}
{{- if not $certs }}
{{- $days := int .Values.tls.helm.certDurationDays }}
{{- $ca := genCA (printf "%s-ca" (include "kubemeter.fullname" .)) $days }}
{{- $cn := printf "%s.%s.svc" (include "kubemeter.fullname" .) .Release.Namespace }}
{{- $cert := genSignedCert $cn nil (include "kubemeter.dnsNames" . | fromJsonArray) $days $ca }}
{{- $certs = dict "crt" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc) "ca" ($ca.Cert | b64enc) }}
{{- end }}
{{- $_ := set .Values "__kubemeterCerts" $certs }}
{{- end }}
{{- get .Values "__kubemeterCerts" | toJson }}
{{- end }}

{{/* The APIService caBundle (base64 PEM), or "" when kube-apiserver cannot be given one. */}}
{{- define "kubemeter.caBundle" -}}
{{- $t := include "kubemeter.tlsType" . }}
{{- if eq $t "helm" }}
{{- (include "kubemeter.helmCerts" . | fromJson).ca }}
{{- else if and (eq $t "existingSecret") .Values.tls.existingSecret.lookup }}
{{- $s := lookup "v1" "Secret" .Release.Namespace (include "kubemeter.tlsSecretName" .) }}
{{- if and $s $s.data }}{{ index $s.data "ca.crt" | default "" }}{{ end }}
{{- else if .Values.apiService.caBundle }}
{{- .Values.apiService.caBundle | b64enc }}
{{- end }}
{{- end }}
