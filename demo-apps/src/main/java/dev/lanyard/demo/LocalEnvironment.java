package dev.lanyard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.ToIntBiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the environment of an injected container (as the webhook wrote it) into the environment of
 * a local process that stands in for it. Only pod-world facts change; every value that means the
 * same thing on this machine is passed through untouched. The mappings, one line each:
 *
 * <ul>
 *   <li>{@code SPIFFE_ENDPOINT_SOCKET}: in the pod the CSI volume puts the SPIRE Agent's socket at
 *       {@code /spiffe-workload-api/...}; here it is the local SPIRE Agent's socket file.
 *   <li>{@code JAVA_TOOL_OPTIONS}: in the pod the init container copied the jar to
 *       {@code /lanyard/javaagent.jar}; here the jar built in {@code javaagent/target} is used.
 *   <li>port numbers ({@code LANYARD_ADMIN_ADDRESS}, {@code LANYARD_HEALTH_ADDRESS}, {@code
 *       LANYARD_INBOUND}, {@code LANYARD_OUTBOUND_PROXY}, {@code HTTP_PROXY}, {@code PORT}): each
 *       pod has its own network namespace, so every pod may use 15000 or 8443; here all processes
 *       share one loopback, so each (pod, port) pair gets its own free local port. A {@code
 *       0.0.0.0} host becomes {@code 127.0.0.1}: the sidecar's health port is open to the pod
 *       network only for the kubelet's probe, and there is no kubelet here.
 *   <li>{@code https://<service>.<namespace>.svc[.cluster.local]:<port>} URLs: the host name stays
 *       (a hosts file given to each JVM maps it to 127.0.0.1, standing in for cluster DNS), so
 *       host globs such as {@code LANYARD_JWT_AUDIENCES} match the same names as in the cluster;
 *       the port becomes the local port of the pod port that the Service's targetPort names.
 *   <li>Downward API fields ({@code valueFrom.fieldRef}): the values the kubelet would fill in for
 *       this pod: its name, namespace, service account, and this machine as the node.
 * </ul>
 */
final class LocalEnvironment {
  /** The pod a container belongs to. */
  record Pod(String deployment, String namespace, String serviceAccount) {
    String podName() {
      return deployment + "-local";
    }
  }

  private static final Pattern HOST_PORT = Pattern.compile("^(\\[?[\\w.:-]*?]?):(\\d+)$");

  private final String workloadApiAddress;
  private final String javaagentJar;
  private final String nodeName;
  private final ToIntBiFunction<String, Integer> localPort;
  private final BiFunction<String, Integer, Optional<DemoManifests.PodPort>> serviceTarget;

  /**
   * @param localPort (deployment, pod port) to the local port standing in for it; the same pair
   *     always gives the same port
   * @param serviceTarget (host, port) of a URL to the pod port a Service routes it to
   */
  LocalEnvironment(String workloadApiAddress, String javaagentJar, String nodeName,
      ToIntBiFunction<String, Integer> localPort,
      BiFunction<String, Integer, Optional<DemoManifests.PodPort>> serviceTarget) {
    this.workloadApiAddress = workloadApiAddress;
    this.javaagentJar = javaagentJar;
    this.nodeName = nodeName;
    this.localPort = localPort;
    this.serviceTarget = serviceTarget;
  }

  /** The local environment for a container's {@code env} list, in its order. */
  Map<String, String> localize(Pod pod, JsonNode env) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode variable : env) {
      String name = variable.path("name").asText();
      if (variable.has("valueFrom")) {
        out.put(name, fieldRef(pod, name, variable.get("valueFrom")));
      } else {
        out.put(name, value(pod, name, variable.path("value").asText("")));
      }
    }
    return out;
  }

  String value(Pod pod, String name, String value) {
    switch (name) {
      case "SPIFFE_ENDPOINT_SOCKET":
        return workloadApiAddress;
      case "JAVA_TOOL_OPTIONS":
        return value.replace("/lanyard/javaagent.jar", javaagentJar);
      case "LANYARD_ADMIN_ADDRESS":
      case "LANYARD_HEALTH_ADDRESS":
      case "LANYARD_OUTBOUND_PROXY":
      case "LANYARD_SHUTDOWN_ADDRESS":
        return hostPort(pod, value);
      case "HTTP_PROXY":
      case "http_proxy":
        return value.startsWith("http://") ? "http://" + hostPort(pod, value.substring(7)) : value;
      case "LANYARD_INBOUND":
        return inbound(pod, value);
      case "PORT":
        return Integer.toString(localPort.applyAsInt(pod.deployment(), Integer.parseInt(value)));
      default:
        return value.startsWith("https://") || value.startsWith("http://") ? url(value) : value;
    }
  }

  private String hostPort(Pod pod, String value) {
    Matcher matcher = HOST_PORT.matcher(value.trim());
    if (!matcher.matches()) {
      return value; // "off" and the like mean the same everywhere
    }
    String host = matcher.group(1).equals("0.0.0.0") ? "127.0.0.1" : matcher.group(1);
    return host + ":" + localPort.applyAsInt(pod.deployment(), Integer.parseInt(matcher.group(2)));
  }

  private String inbound(Pod pod, String value) {
    StringBuilder out = new StringBuilder();
    for (String pair : value.split(",")) {
      String[] ports = pair.trim().split(":");
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(localPort.applyAsInt(pod.deployment(), Integer.parseInt(ports[0])))
          .append(':')
          .append(localPort.applyAsInt(pod.deployment(), Integer.parseInt(ports[1])));
    }
    return out.toString();
  }

  private String url(String value) {
    URI uri = URI.create(value);
    if (uri.getHost() == null || !uri.getHost().contains(".svc")) {
      return value; // not an in-cluster Service: means the same here
    }
    int port = uri.getPort() > 0 ? uri.getPort() : (uri.getScheme().equals("https") ? 443 : 80);
    DemoManifests.PodPort target = serviceTarget.apply(uri.getHost(), port)
        .orElseThrow(() -> new IllegalStateException("no Service in the manifests for " + value));
    return uri.getScheme() + "://" + uri.getHost() + ":"
        + localPort.applyAsInt(target.deployment(), target.port())
        + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  private String fieldRef(Pod pod, String name, JsonNode valueFrom) {
    String field = valueFrom.path("fieldRef").path("fieldPath").asText("");
    switch (field) {
      case "metadata.name":
        return pod.podName();
      case "metadata.namespace":
        return pod.namespace();
      case "spec.nodeName":
        return nodeName;
      case "spec.serviceAccountName":
        return pod.serviceAccount();
      default:
        throw new IllegalStateException(name + " comes from " + valueFrom
            + ", which the local demo cannot fill in (only the Downward API fields the webhook uses)");
    }
  }
}
