package dev.lanyard.reasons;

import java.util.Locale;

/**
 * Every reason Lanyard gives for a decision about a peer, a connection or a pod, as data: a stable
 * snake_case {@link #code()} (a Prometheus label value, the audit record's {@code rule}, the
 * first word of the sidecar's access-log {@code close}, the webhook's Event and report code) and
 * a {@link #sentence()} saying in general what it means (for logs, Events and docs; a decision
 * adds its own sentence naming the peer, pod and values involved). The codes are public names,
 * listed in docs/AUDIT.md, sidecar-proxy/README.md and injector-webhook/README.md: change one
 * only with those docs and a note in the commit.
 *
 * <p>It lives in the dependency-free configuration module, beside the names and parsers, so the
 * javaagent, the sidecar and the webhook (which cannot depend on spiffe-tls's gRPC) share it.
 */
public enum Reason {
  // Who may talk to whom (audit rule of tls.* and jwt.accept records).
  SAME_TRUST_DOMAIN("the peer is (or is not) in the workload's own trust domain, the rule while"
      + " LANYARD_ALLOWED_PEERS is unset"),
  ALLOWED_PEERS("the peer matched (or matched none of) the LANYARD_ALLOWED_PEERS patterns"),
  SERVER_IDS("secure naming: LANYARD_SERVER_IDS does not allow this server's SPIFFE ID for the"
      + " host"),
  SVID_FOR_EXTERNAL_HOST("an X.509-SVID is no identity for a host that is not a mesh"
      + " destination, and Web PKI refused the certificate"),
  WEB_PKI("a server that is not a mesh destination, judged by the JVM's Web PKI trust rules"),
  MESH_HOP_REQUIRES_SVID("a sidecar mesh hop requires an X.509-SVID; the server presented a"
      + " certificate without SPIFFE ID"),
  NO_CERTIFICATE("the peer sent no certificate"),
  CLIENT_SVID_REQUIRED("a mesh port requires a client X.509-SVID; the client certificate carries"
      + " no SPIFFE ID"),
  NO_LOCAL_SVID("the workload has no X.509-SVID yet, so it cannot judge peers"),

  // A peer refused our X.509-SVID with a TLS alert (audit action tls.refused_by_peer): the likely
  // cause, as far as the client can tell (the peer's own audit record says for certain).
  PEER_REFUSED_NOT_ALLOWED("a peer of our trust domain refused our X.509-SVID: most likely our"
      + " SPIFFE ID is not in its allowed peers (its LANYARD_ALLOWED_PEERS)"),
  PEER_REFUSED_FOREIGN_TRUST_DOMAIN("a peer of another trust domain refused our X.509-SVID: it"
      + " has no bundle for our trust domain (not federated) or does not allow it"),
  PEER_REFUSED_EXPIRED("a peer refused our X.509-SVID as expired (it expired while the SPIRE"
      + " Agent was unreachable, or the clocks disagree)"),
  PEER_REFUSED_UNTRUSTED_CA("a peer does not trust the CA of our X.509-SVID (a CA rotation it"
      + " has not seen yet, or another SPIRE server)"),

  // Which outbound hosts are mesh destinations (MeshDestinations); a refusal's rule when the
  // destination decided.
  MESH_HOSTS("the host matches a LANYARD_MESH_HOSTS pattern: a mesh destination"),
  MESH_CIDRS("the address is inside LANYARD_MESH_CIDRS: a mesh destination"),
  EXTERNAL_HOSTS("the host matches LANYARD_EXTERNAL_HOSTS: not a mesh destination"),
  MESH_DESTINATION_NO_HOST("no host is known for the connection: treated as a mesh destination"
      + " (fail closed)"),
  MESH_DESTINATION_SINGLE_LABEL("a single-label name (a Service of the pod's namespace): a mesh"
      + " destination"),
  MESH_DESTINATION_TWO_LABEL("a two-label name (service.namespace): a mesh destination"),
  MESH_DESTINATION_IP_ADDRESS("an IP address while LANYARD_MESH_CIDRS is unset: a mesh"
      + " destination"),
  LOCAL_DESTINATION_LOOPBACK("the pod's own loopback: the certificate decides"),
  EXTERNAL_DESTINATION_LINK_LOCAL("a link-local address: not a mesh destination"),
  EXTERNAL_DESTINATION_OUTSIDE_MESH_CIDRS("an IP address outside LANYARD_MESH_CIDRS: not a mesh"
      + " destination"),
  EXTERNAL_DESTINATION_PUBLIC_NAME("a name of three or more labels matching no"
      + " LANYARD_MESH_HOSTS pattern: not a mesh destination"),

  // JWT-SVIDs (audit rule of jwt.send and jwt.accept records), in JwtValidator's order.
  JWT_AUDIENCES("the request's host matches a LANYARD_JWT_AUDIENCES entry"),
  MISSING_TOKEN("no Authorization: Bearer header"),
  MALFORMED("not a signed compact JWT, or a typ other than JWT or JOSE"),
  UNSUPPORTED_ALGORITHM("a signature algorithm other than RS, ES or PS 256/384/512"),
  SUBJECT_NOT_SPIFFE_ID("the token's sub is missing or not a SPIFFE ID"),
  UNKNOWN_TRUST_DOMAIN("no bundle for the trust domain of the presented SPIFFE ID"),
  UNKNOWN_KEY("the token's kid is not in its trust domain's JWT bundle"),
  BAD_SIGNATURE("the signature does not verify"),
  WRONG_AUDIENCE("the token's aud does not contain the required audience"),
  EXPIRED("expired"),
  NOT_YET_VALID("not valid yet"),

  // Plaintext on a port the javaagent upgrades to mTLS (audit rule of plaintext.accept records).
  PLAINTEXT_PERMISSIVE("plaintext on a permissive port of LANYARD_UPGRADE_INBOUND: served and"
      + " counted"),
  PLAINTEXT_STRICT("plaintext on a strict port of LANYARD_UPGRADE_INBOUND: refused, only mTLS"
      + " with an X.509-SVID is served"),
  // A mesh destination of LANYARD_UPGRADE_OUTBOUND that did not speak TLS (plaintext.connect).
  PLAINTEXT_FALLBACK("a mesh destination on a permissive port of LANYARD_UPGRADE_OUTBOUND did"
      + " not complete a TLS handshake: called in clear text (a downgrade an on-path attacker"
      + " can force)"),
  PLAINTEXT_REFUSED("a mesh destination on a strict port of LANYARD_UPGRADE_OUTBOUND did not"
      + " complete a TLS handshake: not called"),

  // Why the sidecar closed a connection (access-log close, lanyard_sidecar_connections_total).
  NORMAL("closed by either side after a normal exchange"),
  PEER_REFUSED("the TLS peer was refused by the trust decision (its audit record says why)"),
  HANDSHAKE_TIMEOUT("the TLS handshake did not finish in time"),
  HANDSHAKE_FAILED("the TLS handshake failed"),
  NOT_SPIFFE_PEER("the TLS peer presented no SPIFFE ID"),
  CLOSED_BEFORE_HANDSHAKE("the peer closed the connection before the TLS handshake finished"),
  CONNECT_FAILED("the upstream could not be reached"),
  APP_UNREACHABLE("the local app could not be reached"),
  CONNECTION_LIMIT("the listener already had LANYARD_MAX_CONNECTIONS connections open"),
  HANDSHAKE_LIMIT("the mesh port already had its most TLS handshakes in progress"),
  HANDSHAKE_LIMIT_PER_SOURCE("the source address already had its most TLS handshakes in"
      + " progress"),
  IDLE_TIMEOUT("no traffic for LANYARD_IDLE_TIMEOUT"),
  DRAIN("an idle keep-alive connection closed while the sidecar drains"),
  BAD_REQUEST("a request the sidecar refuses as malformed"),
  NOT_HTTP("bytes that are not HTTP on an HTTP mesh port"),
  HTTP2_REFUSED("HTTP/2 on a mesh port, which relays HTTP/1.1 only"),
  CONNECT_REFUSED("CONNECT on a mesh port"),
  VERSION_REFUSED("an HTTP version other than 1.0 or 1.1 on a mesh port"),
  UPGRADE_REFUSED("a WebSocket upgrade whose answer could not be judged"),
  JWT_REFUSED("the request's JWT-SVID was refused (its audit record says why)"),
  BAD_UPSTREAM_RESPONSE("the upstream's answer was not valid HTTP"),
  UPSTREAM_ERROR("the upstream connection failed"),
  /** The forward proxy's own answer; its label is {@code proxy_<status>} ({@link #label(int)}). */
  PROXY_ANSWER("the forward proxy answered with its own status and closed"),
  ERROR("an unexpected error"),

  // What the webhook did to a pod (lanyard_webhook_admissions_total{reason}, the Event, the
  // report of lanyard inject and check-inject); which of them deny the pod is the webhook's rule.
  INJECTED("Lanyard injected the pod"),
  OPTED_OUT("the pod opted out with lanyard.dev/inject=false"),
  HOST_NETWORK("the pod uses hostNetwork, so Lanyard's ports would collide between pods"),
  SYSTEM_NAMESPACE("the pod is in a system namespace, which Lanyard never injects"),
  WEBHOOK_NAMESPACE("the pod is in the webhook's own namespace, which Lanyard never injects"),
  ALREADY_INJECTED("the pod already carries lanyard.dev/status"),
  INVALID_ANNOTATION("a lanyard.dev/mode or lanyard.dev/runtime.* value is unknown"),
  NAME_CONFLICT("the pod already has a container, volume or variable of one of Lanyard's names"),
  UNSUPPORTED_OS("the pod runs on another OS than Linux"),
  INVALID_POD("not a valid pod; the apiserver will refuse it"),
  NOTHING_TO_INJECT("no container of the pod can be injected"),
  OUTSIDE_CEILING("the pod would allow peers beyond the operator's ceiling: refused"),
  LANYARD_PORT("the pod asks for a port Lanyard's own listeners use: refused"),
  INVALID_WORKLOAD_VALUE("an annotation carries a value the workload would refuse at start:"
      + " refused"),

  // Why the webhook left one app container out (the report's per-container skip).
  NOT_SELECTED("lanyard.dev/containers does not name the container"),
  JAVA_TOOL_OPTIONS_FROM_SOURCE("the container's JAVA_TOOL_OPTIONS comes from a ConfigMap,"
      + " Secret or field, so Lanyard cannot append to it"),
  MOUNT_PATH_CONFLICT("the container mounts something else where Lanyard mounts the socket or"
      + " the jar"),

  // What the pod's owner should know although injection went ahead (admission warnings).
  JAVA_TOOL_OPTIONS_OVER_ENV_FROM("the container's JAVA_TOOL_OPTIONS set by Lanyard hides one"
      + " from its envFrom"),
  INVALID_INJECT_VALUE("lanyard.dev/inject is neither true nor false: the namespace decides"),
  INBOUND_WITHOUT_SIDECAR("lanyard.dev/inbound is set but no container uses the sidecar"),
  INBOUND_JWT_WITHOUT_SIDECAR("lanyard.dev/inbound-jwt-audience is set but no container uses"
      + " the sidecar"),
  UPGRADE_WITHOUT_JAVAAGENT("lanyard.dev/upgrade-inbound or lanyard.dev/upgrade-outbound is set"
      + " but no container gets the javaagent, the only one that upgrades plain ports"),
  ENV_KEPT("the container sets a variable Lanyard would set; the container's value is kept"),
  UNKNOWN_CONTAINER("lanyard.dev/containers names a container the pod does not have"),
  METRICS_PORT_TAKEN("an app container declares Lanyard's metrics port: the pod gets no metrics"
      + " port"),
  PROBE_NOT_REWRITTEN("a kubelet probe of a strict upgraded port cannot be moved to the"
      + " javaagent's health port: the kubelet's plaintext will be refused"),

  // Admission requests the webhook answered without judging a pod.
  NOT_A_POD_CREATE("not the creation of a pod: allowed unchanged"),
  UNSUPPORTED_MEDIA_TYPE("a Content-Type other than application/json"),
  TOO_LARGE("a request body over the webhook's limit"),
  MALFORMED_JSON("a request body that is not valid JSON"),
  NOT_ADMISSION_REVIEW("a JSON body that is not an AdmissionReview v1"),
  MISSING_REQUEST("an AdmissionReview without request"),
  MISSING_UID("an AdmissionReview request without uid"),
  MALFORMED_POD("request.object is not a Pod"),
  INTERNAL_ERROR("injection failed on a bug: the pod is allowed uninjected");

  private final String code;
  private final String sentence;

  Reason(String sentence) {
    this.code = name().toLowerCase(Locale.ROOT);
    this.sentence = sentence;
  }

  /** The stable snake_case code. */
  public String code() {
    return code;
  }

  /** What the reason means in general, one sentence without the values of a decision. */
  public String sentence() {
    return sentence;
  }

  /** {@code proxy_<status>} for {@link #PROXY_ANSWER}; the code for every other reason. */
  public String label(int status) {
    return this == PROXY_ANSWER ? "proxy_" + status : code;
  }

  @Override
  public String toString() {
    return code;
  }
}
